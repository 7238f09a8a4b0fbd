"""Tests for the SALib sensitivity analysis (market.sensitivity and `pricewar sensitivity`): tiny N."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from market.cli import main
from market.sensitivity import Param, analyse, parse_params, sample

FAST = ["population.consumers=500"]
# Two parameters that move different outcomes within 20 days: DeepSeek's serving cost sets its
# cost-plus API price (mean_api_price_end); the students' outside utility moves total DAU.
PARAMS = ["firms.deepseek.serving_cost:0.2:3", "cohorts.students.outside_utility:3:9"]


def cli(capsys, *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def test_morris_with_tiny_n_returns_indices_for_each_param(tmp_path):
    table = analyse("history", PARAMS, method="morris", samples=2, days=20, overrides=FAST, workers=2,
                    out=tmp_path / "morris")
    assert len(table) == 4  # 2 outcomes x 2 params
    assert set(table["param"]) == {"firms.deepseek.serving_cost", "cohorts.students.outside_utility"}
    assert {"mu_star", "mu_star_conf", "sigma", "mu"} <= set(table.columns)
    price = table[table["outcome"] == "mean_api_price_end"].set_index("param")
    assert price["mu_star"].notna().all()
    assert price.loc["firms.deepseek.serving_cost", "mu_star"] > 0
    assert price.loc["firms.deepseek.serving_cost", "mu_star"] > price.loc["cohorts.students.outside_utility",
                                                                            "mu_star"]
    assert (tmp_path / "morris" / "results.parquet").is_file()


def test_sobol_cli_prints_a_table_and_writes_a_bar_chart(tmp_path, capsys):
    out = tmp_path / "sobol"
    code, stdout, err = cli(capsys, "sensitivity", "--params", *PARAMS, "--method", "sobol", "--samples", "4",
                            "--days", "20", "--set", FAST[0], "--workers", "2", "--out", str(out))
    assert code == 0, err
    assert "sobol indices" in stdout and "S1" in stdout and "ST" in stdout
    for p in PARAMS:
        assert p.split(":")[0] in stdout
    table = pd.read_csv(out / "sensitivity.csv")
    assert len(table) == 4 and {"S1", "S1_conf", "ST", "ST_conf"} <= set(table.columns)
    price = table[table["outcome"] == "mean_api_price_end"].set_index("param")["ST"]
    assert price["firms.deepseek.serving_cost"] > 10 * abs(price["cohorts.students.outside_utility"])
    page = (out / "sensitivity.html").read_text(encoding="utf-8")
    assert "Plotly.newPlot" in page and '"type":"bar"' in page and "<script src=" not in page
    assert len(pd.read_parquet(out / "results.parquet")) == 4 * (2 + 2)  # N x (D + 2)


@pytest.mark.parametrize(("params", "words"), [
    (["firms.deepseek.serving_cost:1"], ["KEY:LOW:HIGH"]),
    (["firms.deepseek.serving_cost:3:1"], ["LOW < HIGH"]),
    (["firms.deepseek.serving_cost:a:1"], ["must be numbers"]),
    (["firms.deepseek.servng_cost:1:2"], ["firms.deepseek.servng_cost", "nearest valid", "serving_cost"]),
    (["firms.deepseek.serving_cost:-1:2"], ["--params", "low bound"]),
    (["firms.deepseek.open_weights:0:1"], ["numeric key"]),
])
def test_bad_params_are_one_line_exit_2(tmp_path, capsys, params, words):
    out = tmp_path / "never"
    code, _, err = cli(capsys, "sensitivity", "--params", *params, "--days", "5", "--out", str(out))
    assert code == 2
    assert len(err.strip().splitlines()) == 1 and err.startswith("pricewar: error: ")
    for word in words:
        assert word in err
    assert not out.exists()


def test_unknown_outcome_is_exit_2(tmp_path, capsys):
    code, _, err = cli(capsys, "sensitivity", "--params", PARAMS[0], "--samples", "2", "--days", "5", "--set",
                       FAST[0], "--workers", "1", "--outcomes", "total_dau_ed", "--out", str(tmp_path / "o"),
                       "--quiet")
    assert code == 2 and "total_dau_end" in err


def test_integer_keys_are_rounded_inside_their_range():
    params = [Param("population.consumers", 400.0, 600.0, integer=True), Param("cohorts.students.inertia", 0, 4)]
    x = sample(params, "sobol", 8, seed=3)
    assert x.shape == (8 * 4, 2)
    assert np.all(x[:, 0] == np.round(x[:, 0])) and x[:, 0].min() >= 400 and x[:, 0].max() <= 600
    assert not np.all(x[:, 1] == np.round(x[:, 1]))


def test_parse_params():
    assert parse_params(["a.b:1:2.5"]) == [("a.b", 1.0, 2.5)]
    for bad in (["a.b:1:1"], ["a.b:1:2", "a.b:0:3"], ["a.b:1:inf"], []):
        with pytest.raises(ValueError):
            parse_params(bad)
    assert not math.isnan(parse_params(["x.y:-1:1"])[0][1])
