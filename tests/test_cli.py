"""Tests for the `pricewar` command line (market.cli), mostly in-process via main([...])."""

from __future__ import annotations

import contextlib
import io
import os
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

import market
from market.cli import main
from market.model import FIRM_FIELDS, MARKET_FIELDS

FAST = ["--days", "20", "--set", "population.consumers=2000"]
EVENT_COLUMNS = ["date", "firm", "kind", "action", "label", "evidence", "source"]
OUTPUTS = ("firms.csv", "market.csv", "events.csv", "report.html")
# Text columns where an empty string means "none" (pandas reads an empty CSV cell back as NaN).
TEXT = {"app", "integrated", "status", "firm", "date", "kind", "action", "label", "evidence", "source"}


def cli(capsys, *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    captured = capsys.readouterr()
    return code, captured.out, captured.err


@pytest.fixture(scope="module")
def done(tmp_path_factory):
    """One fast run written to a temp dir: (exit code, stdout, out dir)."""
    out = tmp_path_factory.mktemp("run") / "out"
    buffer = io.StringIO()
    with contextlib.redirect_stdout(buffer):
        code = main(["run", *FAST, "--out", str(out)])
    return code, buffer.getvalue(), out


def test_run_writes_the_four_files(done):
    code, stdout, out = done
    assert code == 0
    for name in OUTPUTS:
        assert (out / name).is_file()
        assert str(out / name) in stdout
    assert not [p for p in out.iterdir() if p.name.startswith(".")]  # no temp files left


@pytest.mark.parametrize(("name", "columns"), [("firms.csv", list(FIRM_FIELDS)),
                                               ("market.csv", list(MARKET_FIELDS)),
                                               ("events.csv", EVENT_COLUMNS)])
def test_csvs_have_the_expected_columns_and_no_nan(done, name, columns):
    path = done[2] / name
    frame = pd.read_csv(path)
    assert list(frame.columns) == columns
    numeric = [c for c in frame.columns if c not in TEXT]
    assert frame[numeric].notna().all().all()
    raw = pd.read_csv(path, keep_default_na=False, dtype=str)
    assert not raw.isin(["nan", "NaN", "inf", "-inf", "None"]).any().any()
    if name != "events.csv":
        assert len(frame) > 0
        assert pd.to_datetime(frame["date"]).nunique() == 20


def test_report_is_self_contained_and_names_firms(done):
    page = (done[2] / "report.html").read_text(encoding="utf-8")
    assert "plotly" in page.lower()
    assert 'src="https://cdn.plot.ly' not in page and "<script src=" not in page
    assert page.count("cdn.plot.ly") == page.count('dflt:"https://cdn.plot.ly/un/"')  # geo default only
    firms = pd.read_csv(done[2] / "firms.csv")["firm"].unique()
    spec = market.load("history").firms
    for fid in firms:
        assert spec[fid].name in page


def test_run_prints_a_summary(done):
    stdout = done[1]
    for text in ("scenario  history", "seed      0", "elapsed", "final day", "DAU (M people)",
                 "API price (CNY/M tok)", "cash (bn CNY)", "runway (days)", "scenario events",
                 "decisions of note", "deepseek"):
        assert text in stdout


def test_quiet_prints_only_paths(capsys, tmp_path):
    code, out, err = cli(capsys, "run", *FAST, "--out", str(tmp_path), "--quiet")
    assert code == 0 and err == ""
    assert out.split() == [str(tmp_path / name) for name in OUTPUTS]


def test_default_out_dir_is_out_slash_scenario(capsys, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    code, _, _ = cli(capsys, "run", "--days", "3", "--set", "population.consumers=500", "--quiet")
    assert code == 0
    assert sorted(p.name for p in (tmp_path / "out" / "history").iterdir()) == sorted(OUTPUTS)


def test_scenarios_lists_history(capsys):
    code, out, _ = cli(capsys, "scenarios")
    assert code == 0
    assert any(line.split()[0] == "history" and len(line.split()) > 1 for line in out.splitlines())


def test_keys_lists_set_keys(capsys):
    code, out, _ = cli(capsys, "keys")
    assert code == 0
    keys = [line.split()[0] for line in out.splitlines()]
    assert "firms.deepseek.open_weights" in keys
    assert "population.consumers" in keys
    assert len(keys) == len(set(keys))


def test_keys_of_a_bad_scenario_is_an_error(capsys):
    code, _, err = cli(capsys, "keys", "--scenario", "nosuch")
    assert code == 2 and err.startswith("pricewar: error:") and "nosuch" in err


def assert_one_line_error(code: int, err: str, *names: str) -> None:
    assert code == 2
    assert err.startswith("pricewar: error: ")
    assert err.endswith("\n") and err.count("\n") == 1, err
    assert "Traceback" not in err
    for name in names:
        assert name in err, err


@pytest.mark.parametrize(("setting", "names"), [
    ("firms.nosuch.api_price=1", ("firms.nosuch.api_price", "nosuch")),
    ("firms.deepseek.api_prize=1", ("firms.deepseek.api_prize", "api_price")),  # nearest valid keys
    ("firms.deepseek.api_price=-1", ("firms.deepseek.api_price",)),
    ("cohorts.students.share=1.5", ("cohorts.students.share",)),
    ("firms.deepseek.strategies.nosuch.x=1", ("firms.deepseek.strategies.nosuch.x", "nosuch")),
    ("firms.deepseek.api_price=abc", ("firms.deepseek.api_price",)),
    ("nosection.x=1", ("nosection",)),
    ("novalue", ("novalue",)),
])
def test_bad_set_is_a_one_line_error(capsys, tmp_path, setting, names):
    code, out, err = cli(capsys, "run", *FAST, "--set", setting, "--out", str(tmp_path / "o"))
    assert_one_line_error(code, err, *names)
    assert not (tmp_path / "o").exists()  # nothing is created before the scenario validates


def test_malformed_toml_is_a_one_line_error(capsys, tmp_path):
    bad = tmp_path / "broken.toml"
    bad.write_text('[scenario\nname = "broken"\n', encoding="utf-8")
    code, _, err = cli(capsys, "run", "--scenario", str(bad), "--days", "5", "--out", str(tmp_path / "o"))
    assert_one_line_error(code, err, str(bad), "TOML")


def test_unknown_scenario_name_is_a_one_line_error(capsys, tmp_path):
    code, _, err = cli(capsys, "run", "--scenario", "nosuch", "--out", str(tmp_path / "o"))
    assert_one_line_error(code, err, "nosuch", "history")


def test_missing_scenario_path_is_a_one_line_error(capsys, tmp_path):
    missing = tmp_path / "missing.toml"
    code, _, err = cli(capsys, "run", "--scenario", str(missing), "--out", str(tmp_path / "o"))
    assert_one_line_error(code, err, str(missing))


@pytest.mark.parametrize(("option", "value"), [("--days", "0"), ("--days", "-5"), ("--seed", "-1")])
def test_bad_numbers_are_one_line_errors(capsys, tmp_path, option, value):
    code, _, err = cli(capsys, "run", option, value, "--out", str(tmp_path / "o"))
    assert_one_line_error(code, err, option)


def test_unwritable_out_is_a_one_line_error(capsys, tmp_path):
    blocker = tmp_path / "a-file"
    blocker.write_text("not a directory", encoding="utf-8")
    for out in (blocker, blocker / "sub"):
        code, _, err = cli(capsys, "run", *FAST, "--out", str(out))
        assert_one_line_error(code, err, "--out", str(out))
    assert blocker.read_text(encoding="utf-8") == "not a directory"


def test_argparse_errors_exit_2(capsys):
    with pytest.raises(SystemExit) as exc:
        main(["run", "--days", "many"])
    assert exc.value.code == 2
    with pytest.raises(SystemExit) as exc:
        main([])
    assert exc.value.code == 2


def test_failed_run_keeps_existing_outputs(capsys, tmp_path):
    out = tmp_path / "out"
    out.mkdir()
    (out / "firms.csv").write_text("precious,results\n1,2\n", encoding="utf-8")
    code, _, err = cli(capsys, "run", *FAST, "--set", "firms.deepseek.api_price=-1", "--out", str(out))
    assert code == 2
    assert (out / "firms.csv").read_text(encoding="utf-8") == "precious,results\n1,2\n"
    assert [p.name for p in out.iterdir()] == ["firms.csv"]


def test_failed_write_keeps_existing_outputs(capsys, tmp_path, monkeypatch):
    out = tmp_path / "out"
    out.mkdir()
    for name in OUTPUTS:
        (out / name).write_text(f"old {name}", encoding="utf-8")
    real_replace = os.replace
    calls = []

    def flaky_replace(src, dst):
        calls.append(dst)
        if len(calls) == 2:
            raise OSError(28, "No space left on device")
        return real_replace(src, dst)

    monkeypatch.setattr(os, "replace", flaky_replace)
    code, _, err = cli(capsys, "run", *FAST, "--out", str(out), "--quiet")
    assert_one_line_error(code, err, "--out")
    # every file is whole: either the old one or a complete new one; no temp file is left
    assert sorted(p.name for p in out.iterdir()) == sorted(OUTPUTS)
    assert (out / "market.csv").read_text(encoding="utf-8") == "old market.csv"
    assert list(pd.read_csv(out / "firms.csv").columns) == list(FIRM_FIELDS)


def test_module_entry_point_exit_codes(tmp_path):
    """`python -m market.cli`: the real process exit codes (0, and 2 with one stderr line)."""
    env = dict(os.environ, PYTHONPATH=str(Path(market.__file__).resolve().parent.parent))
    base = [sys.executable, "-m", "market.cli", "run", "--days", "5", "--set", "population.consumers=1000"]
    ok = subprocess.run([*base, "--out", "tmp"], cwd=tmp_path, env=env, capture_output=True, text=True,
                        timeout=120)
    assert ok.returncode == 0, ok.stderr
    assert sorted(p.name for p in (tmp_path / "tmp").iterdir()) == sorted(OUTPUTS)
    bad = subprocess.run([*base, "--set", "firms.nosuch.api_price=1", "--out", "tmp2"], cwd=tmp_path, env=env,
                         capture_output=True, text=True, timeout=120)
    assert bad.returncode == 2
    assert_one_line_error(bad.returncode, bad.stderr, "nosuch")
