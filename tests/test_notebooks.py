"""The teaching notebooks: committed clean (no outputs), each with exercises and hidden answers, and
each executing top to bottom without error in quick mode (PRICEWAR_QUICK=1) in a fresh kernel."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

nbformat = pytest.importorskip("nbformat")
nbclient = pytest.importorskip("nbclient")
pytest.importorskip("ipykernel")

NOTEBOOK_DIR = Path(__file__).resolve().parent.parent / "notebooks"
NOTEBOOKS = sorted(NOTEBOOK_DIR.glob("[0-9][0-9]_*.ipynb"))
EXPECTED = ("01_the_market_in_2024_2025", "02_price_war_mechanics", "03_open_source_and_the_smile_curve",
            "04_buying_users", "05_strategy_tournament")
CELL_TIMEOUT = 600  # seconds per cell
ANSWER = re.compile(r"<details>\s*<summary>\s*Answer\s*</summary>.+?</details>", re.S)


def read(path: Path):
    return nbformat.read(path, as_version=4)


def test_the_lesson_sequence_is_complete():
    assert [p.stem for p in NOTEBOOKS] == list(EXPECTED)


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_notebook_is_committed_without_outputs(path):
    nb = read(path)
    nbformat.validate(nb)
    for i, cell in enumerate(nb.cells):
        if cell.cell_type == "code":
            assert cell.outputs == [], f"{path.name} cell {i} has outputs: strip them"
            assert cell.execution_count is None, f"{path.name} cell {i} has an execution count"
        assert "execution" not in cell.metadata, f"{path.name} cell {i} keeps execution timings"
    assert nb.metadata.get("kernelspec", {}).get("name") == "python3"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_notebook_has_exercises_with_hidden_answers(path):
    nb = read(path)
    markdown = [c.source for c in nb.cells if c.cell_type == "markdown"]
    exercises = [s for s in markdown if "**Exercise" in s and ANSWER.search(s)]
    assert len(exercises) >= 2, f"{path.name}: {len(exercises)} exercises with a hidden answer, want >= 2"
    answer_code = [c for c in nb.cells if c.cell_type == "code" and "answer" in c.metadata.get("tags", [])]
    assert len(answer_code) >= 2, f"{path.name}: answer code cells should be tagged 'answer'"
    assert all(c.metadata.get("jupyter", {}).get("source_hidden") for c in answer_code)


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_notebook_runs_in_quick_mode(path, monkeypatch):
    monkeypatch.setenv("PRICEWAR_QUICK", "1")
    monkeypatch.setenv("PYTHONDONTWRITEBYTECODE", "1")  # no __pycache__ next to the notebooks
    monkeypatch.setenv("JUPYTER_PREFER_ENV_PATH", "1")  # this environment's python3 kernel first
    nb = read(path)
    client = nbclient.NotebookClient(nb, kernel_name="python3", timeout=CELL_TIMEOUT,
                                     resources={"metadata": {"path": str(NOTEBOOK_DIR)}})
    client.execute()  # raises CellExecutionError, naming the cell, on any error
    errors = [o for c in nb.cells if c.cell_type == "code" for o in c.outputs if o.output_type == "error"]
    assert not errors
