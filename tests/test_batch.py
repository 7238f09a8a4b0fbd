"""Tests for batch runs (market.batch, market.batch_cli, market.compare): fast, tiny grids.

Each sweep runs 500 consumers for 20 days, so a run takes a fraction of a second; spawning the
worker processes is most of the time.
"""

from __future__ import annotations

import json
import math
import signal
import subprocess
import sys
import time
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import market
from market import batch
from market.batch import FAIL_ENV, read_daily, read_results, run_seed, summarise, sweep
from market.cli import main
from market.compare import option_table

FAST = ["population.consumers=500"]
DAYS = 20
VARY = {"firms.deepseek.api_price": [1.0, 4.0]}
MINI = str(Path(__file__).parent / "scenarios" / "mini.toml")
TIMING = ["elapsed_s"]  # the only column allowed to differ between two runs of one sweep


def cli(capsys, *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def same_table(a: pd.DataFrame, b: pd.DataFrame) -> None:
    pd.testing.assert_frame_equal(a.drop(columns=TIMING), b.drop(columns=TIMING))


@pytest.fixture(scope="module")
def two_workers(tmp_path_factory) -> tuple[pd.DataFrame, Path]:
    """2 cells x 2 replicates on 2 local workers, kept on disk."""
    out = tmp_path_factory.mktemp("sweep") / "two"
    results = sweep("history", VARY, replicates=2, days=DAYS, overrides=FAST, workers=2, out=out)
    return results, out


# ---- the table ----------------------------------------------------------------------------------
def test_one_row_per_run_with_parameters_seed_status_and_outcomes(two_workers):
    results, _ = two_workers
    assert list(results["run_id"]) == ["c00000-r0000", "c00000-r0001", "c00001-r0000", "c00001-r0001"]
    assert (results["status"] == "ok").all() and (results["error"] == "").all()
    assert list(results["firms.deepseek.api_price"]) == [1.0, 1.0, 4.0, 4.0]
    firms = list(market.load("history").firms)
    for fid in firms:
        for col in ("dau_end", "dau_mean", "app_share_end", "app_share_mean", "token_share_end",
                    "token_share_mean", "maas_margin_end", "maas_margin_mean", "cash_end", "cash_mean",
                    "exit_date", "status_end"):
            assert f"{col}__{fid}" in results.columns
    assert (results["days"] == DAYS).all()
    assert pd.api.types.is_datetime64_any_dtype(results["exit_date__deepseek"])
    assert results["total_dau_end"].notna().all()


def test_seeds_follow_the_documented_seed_sequence(two_workers):
    results, _ = two_workers
    for _, row in results.iterrows():
        expected = np.random.SeedSequence([0, row["cell"], row["replicate"]]).generate_state(1, dtype=np.uint32)[0]
        assert row["seed"] == int(expected) == run_seed(0, row["cell"], row["replicate"])
    assert results["seed"].nunique() == len(results)
    assert run_seed(0, 5, 1, "common") == run_seed(0, 0, 1, "common") == run_seed(0, 0, 1)


def test_same_table_on_one_and_two_workers(two_workers, tmp_path):
    results, _ = two_workers
    one = sweep("history", VARY, replicates=2, days=DAYS, overrides=FAST, workers=1, out=tmp_path / "one")
    same_table(results, one)


def test_same_table_on_dask_and_local(two_workers, tmp_path):
    pytest.importorskip("distributed")
    results, _ = two_workers
    dask = sweep("history", VARY, replicates=2, days=DAYS, overrides=FAST, workers=2, out=tmp_path / "dask",
                 engine="dask")
    same_table(results, dask)


def test_a_row_reruns_alone_and_matches(two_workers):
    results, out = two_workers
    row = results.iloc[3]
    alone = market.run(row["scenario"], seed=int(row["seed"]), overrides=json.loads(row["overrides"]),
                       days=int(row["days"]))
    expected = summarise(alone)
    for key, value in expected.items():
        got = row[key]
        if isinstance(value, float) and math.isnan(value):
            assert pd.isna(got), key
        elif value is pd.NaT:
            assert pd.isna(got), key
        else:
            assert got == value, key
    daily = read_daily(out, "firms", run_ids=[row["run_id"]]).drop(columns="run_id")
    pd.testing.assert_frame_equal(daily, alone.firms, check_dtype=False)
    again = batch.rerun(out, row["run_id"])
    pd.testing.assert_frame_equal(again.market, alone.market)


def test_daily_frames_are_stored_per_run(two_workers):
    results, out = two_workers
    market_daily = read_daily(out, "market")
    assert set(market_daily["run_id"]) == set(results["run_id"])
    assert len(market_daily) == DAYS * len(results)
    assert (out / "results.parquet").is_file() and (out / "sweep.json").is_file()
    assert not [p for p in out.rglob(".*")]  # no temp files left behind


# ---- failures, interruptions, resume ------------------------------------------------------------
def test_a_failing_run_is_recorded_and_the_others_finish(tmp_path, monkeypatch, capsys):
    monkeypatch.setenv(FAIL_ENV, "c00001-r0000")  # the worker raises for this run, inside its try
    out = tmp_path / "fail"
    code, stdout, _ = cli(capsys, "sweep", "--vary", "firms.deepseek.api_price=1,4", "--replicates", "2",
                          "--days", str(DAYS), "--set", FAST[0], "--workers", "2", "--out", str(out), "--quiet")
    assert code == 1
    results = read_results(out)
    assert len(results) == 4
    failed = results[results["status"] == "failed"]
    assert list(failed["run_id"]) == ["c00001-r0000"]
    assert "RuntimeError: injected failure" in failed["error"].iloc[0]
    assert failed["firms.deepseek.api_price"].iloc[0] == 4.0 and failed["seed"].iloc[0] > 0
    assert (results.loc[results["status"] == "ok", "total_dau_end"].notna()).all()
    assert not (out / "firms" / "c00001-r0000.parquet").exists()


def test_resume_skips_finished_runs(tmp_path):
    spec = batch.make_spec("history", VARY, replicates=2, days=DAYS, overrides=FAST)
    out = tmp_path / "resume"
    first = batch.run_spec(spec, out, workers=2, progress=False)
    assert first.executed == 4
    (out / "results" / "c00001-r0001.parquet").unlink()  # as if the sweep had stopped before it
    bigger = batch.make_spec("history", VARY, replicates=3, days=DAYS, overrides=FAST)
    second = batch.run_spec(bigger, out, workers=2, resume=True, progress=False)
    assert (second.executed, second.skipped) == (3, 3)  # c00001-r0001 and the two replicate-2 runs
    assert len(second.results) == 6
    again = second.results[second.results["replicate"] < 2].reset_index(drop=True)
    same_table(first.results, again)  # the rerun of c00001-r0001 included
    third = batch.run_spec(bigger, out, workers=2, resume=True, progress=False)
    assert third.executed == 0 and third.skipped == 6


def test_resume_refuses_a_different_sweep_and_a_rerun_needs_resume(two_workers, capsys):
    _, out = two_workers
    base = ["sweep", "--vary", "firms.deepseek.api_price=1,4", "--replicates", "2", "--days", str(DAYS),
            "--set", FAST[0], "--out", str(out), "--quiet"]
    code, _, err = cli(capsys, *base)
    assert code == 2 and "--resume" in err and len(err.strip().splitlines()) == 1
    code, _, err = cli(capsys, *base[:2], "firms.deepseek.api_price=1,5", *base[3:], "--resume")
    assert code == 2 and "different sweep" in err and "cells" in err


def test_a_truncated_results_file_is_skipped_then_rerun(tmp_path):
    spec = batch.make_spec("history", VARY, replicates=2, days=DAYS, overrides=FAST)
    out = tmp_path / "trunc"
    good = batch.run_spec(spec, out, workers=2, progress=False).results
    victim = out / "results" / "c00000-r0001.parquet"
    victim.write_bytes(victim.read_bytes()[: victim.stat().st_size // 2])
    (out / "results" / "c00009-r0000.parquet").write_bytes(b"PAR1 not parquet at all")
    with pytest.warns(UserWarning, match="unreadable"):
        partial = read_results(out)
    assert len(partial) == 3 and "c00000-r0001" not in set(partial["run_id"])
    assert str(victim) in partial.attrs["unreadable"]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        resumed = batch.run_spec(spec, out, workers=1, resume=True, progress=False)
    assert resumed.executed == 1
    (out / "results" / "c00009-r0000.parquet").unlink()
    same_table(good, read_results(out))


def test_ctrl_c_keeps_finished_runs_and_resume_finishes(tmp_path):
    out = tmp_path / "interrupt"
    argv = [sys.executable, "-m", "market.cli", "sweep", "--vary", "firms.deepseek.api_price=1,2,3,4",
            "--replicates", "5", "--days", str(DAYS), "--set", FAST[0], "--workers", "1", "--out", str(out),
            "--quiet"]
    proc = subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline and len(list((out / "results").glob("*.parquet"))) < 2:
        time.sleep(0.05)
    proc.send_signal(signal.SIGINT)
    _, stderr = proc.communicate(timeout=60)
    assert proc.returncode == 130, stderr
    assert "--resume" in stderr and "Traceback" not in stderr
    kept = read_results(out)
    assert 2 <= len(kept) < 20 and (kept["status"] == "ok").all()
    assert not [p for p in (out / "results").iterdir() if not p.name.endswith(".parquet")]
    done = subprocess.run(argv + ["--resume"], capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    final = read_results(out)
    assert len(final) == 20
    same_table(kept, final[final["run_id"].isin(kept["run_id"])].reset_index(drop=True))


# ---- bad input ----------------------------------------------------------------------------------
@pytest.mark.parametrize(("vary", "words"), [
    ("firms.deepseek.api_prise=1,2", ["--vary", "firms.deepseek.api_prise", "nearest valid", "api_price"]),
    ("firms.deepseek.api_price=1,-2", ["--vary", "firms.deepseek.api_price", "-2"]),
    ("firms.nobody.api_price=1,2", ["--vary", "unknown firm 'nobody'"]),
    ("firms.deepseek.open_weights=true,maybe", ["--vary", "true/false", "maybe"]),
    ("firms.deepseek.api_price", ["--vary takes KEY=V1,V2"]),
    ("firms.deepseek.api_price=1,,2", ["comma-separated"]),
])
def test_invalid_vary_is_one_line_exit_2_before_anything_runs(tmp_path, capsys, vary, words):
    out = tmp_path / "never"
    code, stdout, err = cli(capsys, "sweep", "--vary", vary, "--days", "5", "--out", str(out))
    assert code == 2
    assert len(err.strip().splitlines()) == 1 and err.startswith("pricewar: error: ")
    for word in words:
        assert word in err
    assert not out.exists()


def test_bad_numbers_and_flags_are_usage_errors(tmp_path, capsys):
    for argv, word in ((["--replicates", "0"], "--replicates"), (["--days", "0"], "--days"),
                       (["--workers", "0"], "--workers"), (["--scheduler", "tcp://x:1"], "--engine dask"),
                       (["--set", "firms.deepseek.api_price=2", "--vary", "firms.deepseek.api_price=1,2"],
                        "both --set and --vary")):
        code, _, err = cli(capsys, "sweep", *argv, "--out", str(tmp_path / "x"))
        assert code == 2 and word in err and len(err.strip().splitlines()) == 1, (argv, err)


# ---- compare ------------------------------------------------------------------------------------
def test_compare_dir_writes_html_with_bands_and_a_table(two_workers, capsys):
    _, out = two_workers
    code, stdout, err = cli(capsys, "compare", str(out), "--metric", "dau_end__deepseek")
    assert code == 0, err
    assert "P(beats baseline)" in stdout and "dau_end__deepseek" in stdout
    page = (out / "compare.html").read_text(encoding="utf-8")
    assert page.count("<script") >= 2 and "<script src=" not in page and 'src="https://cdn' not in page
    assert page.count("Plotly.newPlot") >= 5
    assert '"fill":"tonexty"' in page  # the shaded bands
    for name in ("total_dau", "mean_api_price", "app_share", "maas_margin"):
        assert f'id="fig-{name}"' in page
    table = pd.read_csv(out / "compare.csv")
    others = table[~table["is_baseline"]]
    assert len(table) == 2 and len(others) == 1
    assert others["p_beats"].between(0, 1).all() and others["win_rate"].between(0, 1).all()
    frame = batch.compare(out, "dau_end__deepseek")  # the notebook form
    assert list(frame["cell"]) == list(table["cell"]) and frame.attrs["metric"] == "dau_end__deepseek"


def test_compare_unknown_metric_or_baseline_is_exit_2(two_workers, capsys):
    _, out = two_workers
    code, _, err = cli(capsys, "compare", str(out), "--metric", "dau_end__deepsek")
    assert code == 2 and "dau_end__deepseek" in err and len(err.strip().splitlines()) == 1
    code, _, err = cli(capsys, "compare", str(out), "--baseline", "7")
    assert code == 2 and "no such cell" in err
    code, _, err = cli(capsys, "compare")
    assert code == 2 and "--scenarios" in err


def test_compare_scenarios_runs_them_with_paired_seeds(tmp_path, capsys):
    out = tmp_path / "cmp"
    code, stdout, err = cli(capsys, "compare", "--scenarios", f"history,{MINI}", "--replicates", "2",
                            "--days", str(DAYS), "--set", FAST[0], "--workers", "2", "--out", str(out),
                            "--quiet")
    assert code == 0, err
    table = pd.read_csv(out / "compare.csv")
    assert table.loc[table["is_baseline"], "option"].item() == "history"
    other = table[~table["is_baseline"]].iloc[0]
    assert bool(other["paired"]) and 0.0 <= other["p_beats"] <= 1.0
    assert (out / "compare.html").is_file()


def test_option_table_statistics_on_known_numbers():
    rng = np.random.default_rng(1)
    rows = []
    for cell, shift in ((0, 0.0), (1, 1.0), (2, -0.05)):
        for i in range(8):
            value = 10 + shift + rng.normal(0, 0.3)
            rows.append({"run_id": batch.run_id(cell, i), "cell": cell, "replicate": i, "seed": 100 + i,
                         "scenario": "s", "status": "ok", "error": "", "elapsed_s": 0.0, "overrides": "[]",
                         "x.y": cell, "score": value})
    results = pd.DataFrame(rows)
    table = option_table(results, "score").set_index("cell")
    assert table.loc[0, "is_baseline"] and table.loc[1, "paired"]
    assert table.loc[1, "p_beats"] > 0.99 and table.loc[1, "rank"] == 1
    assert 0.0 <= table.loc[2, "p_beats"] <= 1.0
    base = results[results["cell"] == 0]["score"].to_numpy()
    opt = results[results["cell"] == 1]["score"].to_numpy()
    d = opt - base
    half = 2.3646243 * d.std(ddof=1) / math.sqrt(8)  # t(0.975, 7)
    assert table.loc[1, "diff_lo"] == pytest.approx(d.mean() - half, rel=1e-6)
    lower = option_table(results, "score", higher_is_better=False).set_index("cell")
    assert lower.loc[1, "p_beats"] < 0.01 and lower.loc[2, "rank"] == 1
    unpaired = results.assign(seed=np.arange(len(results)))
    assert not option_table(unpaired, "score").set_index("cell").loc[1, "paired"]
    assert option_table(results, "score", baseline="x.y=1").attrs["baseline"] == 1


def test_status_quo_cell_is_the_default_baseline():
    current = market.load("history").firms["deepseek"].api_price
    spec = batch.make_spec("history", {"firms.deepseek.api_price": [current * 2, current]}, overrides=FAST)
    assert spec.baseline == 1


def test_execute_runs_in_process_and_the_fault_hook_fires_only_for_named_runs(monkeypatch):
    task = batch.plan(batch.make_spec("history", None, days=3, overrides=FAST))[0]
    monkeypatch.setenv(FAIL_ENV, "c99999-r0000")
    assert batch.execute(task).status == "ok"
    monkeypatch.setenv(FAIL_ENV, f"x,{task.run_id}")
    assert batch.execute(task).status == "failed"
