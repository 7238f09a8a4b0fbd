"""The calibration holds: a later change to the model cannot silently break the fit to the seeds."""

from __future__ import annotations

import math
import tomllib
from functools import cache

import pytest

from market.calibration import TARGETS, evaluate, simulate
from market.cli import main
from market.fit import CALIBRATION_FILE, KNOBS, fit

# Targets the committed calibration does not meet, and why (reported, not hidden):
KNOWN_MISSES = {
    "realized_deepseek_r1": "free app tokens are a small share of DeepSeek's tokens in the model, so "
                            "billed revenue is ~65% of the theoretical, not 'far below'",
}
ENDOGENOUS_MISSES = KNOWN_MISSES | {
    "margin_deepseek_r1": "without the dated R1 price DeepSeek prices at 2.5x cost (150% margin)",
}


@cache
def table(scenario: str):
    return evaluate(simulate(scenario, range(5), workers=2), scenario)


@pytest.mark.parametrize("target", [t.key for t in TARGETS if t.key not in KNOWN_MISSES])
def test_history_meets_the_seed_facts(target):
    row = table("history").set_index("target").loc[target]
    assert row["passed"], (f"{row['what']}: simulated {row['simulated_mean']:.4g} "
                           f"vs {row['observed']:.4g} ({row['tolerance']})")


@pytest.mark.parametrize("target", [t.key for t in TARGETS if t.key not in ENDOGENOUS_MISSES])
def test_endogenous_history_meets_them_without_scripted_decisions(target):
    row = table("history-endogenous").set_index("target").loc[target]
    assert row["passed"], f"{row['what']}: simulated {row['simulated_mean']:.4g} vs {row['observed']:.4g}"


def test_committed_fit_is_the_fit_procedures_result():
    """The committed values give exactly the errors the fit recorded for them (same seeds, size)."""
    committed = tomllib.loads(CALIBRATION_FILE.read_text())
    recorded = committed["fit"]["final_log_errors"]
    assert committed["fit"]["seeds"] == [0, 1, 2, 3, 4] and committed["fit"]["consumers"] == 20_000
    values = simulate("history", range(5), workers=2).mean(axis=1)
    targets = {t.key: t for t in TARGETS}
    for knob in KNOBS:
        if knob.how == "ratio":
            num, den = knob.target
            error = math.log(values[num] / values[den] / (targets[num].value / targets[den].value))
        else:
            aim = knob.aim if knob.aim is not None else sum(targets[t].value for t in knob.target)
            error = math.log(sum(values[t] for t in knob.target) / aim)
        assert error == pytest.approx(recorded[knob.name], abs=1e-3), knob.name


def test_fit_is_deterministic():
    a = fit(seeds=(0,), consumers=1000, rounds=1, log=lambda *_: None)
    b = fit(seeds=(0,), consumers=1000, rounds=1, log=lambda *_: None)
    assert a == b
    assert set(a[0]) == {key for knob in KNOBS for key in knob.keys}


def test_calibrate_command_writes_the_report(tmp_path, capsys):
    code = main(["calibrate", "--scenarios", "history", "--seeds", "1", "--workers", "1",
                 "--set", "population.consumers=2000", "--out", str(tmp_path)])
    assert code == 0
    out = capsys.readouterr().out
    assert "F155" in out and "targets pass" in out
    for name in ("calibration.md", "calibration.html", "calibration.csv"):
        assert (tmp_path / name).stat().st_size > 500


def test_calibrate_refuses_bad_input(tmp_path, capsys):
    assert main(["calibrate", "--scenarios", "nosuch", "--out", str(tmp_path)]) == 2
    assert "unknown scenario" in capsys.readouterr().err
