"""The calibration procedure: fit a few behavioural and cost parameters of `history` to the seeds.

A damped fixed-point iteration with common random numbers (the same seeds every round): each
fitted parameter is paired with the target it mainly drives and scaled by (target/simulated)^e,
with `e` the sign and rough size of the response. Only behavioural and cost parameters move
(the outside option's appeal, ad cost per install, media awareness, starting users, token demand
level and trend, hosts' cost of serving a rival's model); nothing multiplies an output. The result is written to
`market/data/calibration.toml`, which `history` (and every scenario extending it) applies before
any `--set`. Rerunning the fit from the same starting values reproduces the file.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from market.calibration import TARGETS
from market.scenario import SCENARIO_DIR, read, validate
from market.schema import TABLES, fields_of

CALIBRATION_FILE = Path(__file__).parent / "data" / "calibration.toml"
ENTERPRISES = ("sme", "large", "gov_soe", "developers")


@dataclass(frozen=True)
class Knob:
    """A fitted parameter (or a group moved together) and the target it is steered by."""

    name: str
    keys: tuple[str, ...]
    target: tuple[str, ...]  # one target, or several whose sum it steers
    exponent: float  # d log(simulated) / d log(parameter) (or / d parameter for a shift), roughly
    aim: float | None = None  # aim here instead of at the target's value (for bounds)
    how: str = "scale"  # scale the value | shift it (add) | scale 1 + value, steered by target[0] / target[1]


COHORTS = ("students", "office_workers", "tech_enthusiasts", "mass_market")
APPS = ("mau_doubao_2024_12", "mau_kimi_2024_12", "mau_wenxiaoyan_2024_12", "mau_tongyi_2024_12",
        "mau_yuanbao_2024_12")
KNOBS: tuple[Knob, ...] = (
    Knob("outside_option", tuple(f"cohorts.{c}.outside_utility" for c in COHORTS), APPS, -1.0, how="shift"),
    Knob("doubao_cpi", ("firms.bytedance.cpi",), ("mau_doubao_2024_12",), -0.5),
    Knob("kimi_cpi", ("firms.moonshot.cpi",), ("mau_kimi_2024_12",), -0.5),
    Knob("wenxiaoyan_media", ("firms.baidu.initial_users", "firms.baidu.bass_p"), ("mau_wenxiaoyan_2024_12",), 1.0),
    Knob("tongyi_media", ("firms.alibaba.bass_p", "firms.alibaba.initial_aware"), ("mau_tongyi_2024_12",), 1.0),
    Knob("yuanbao_media", ("firms.tencent.bass_p",), ("mau_yuanbao_2024_12",), 1.0),
    Knob("token_level", tuple(f"enterprises.{e}.base_tokens" for e in ENTERPRISES), ("tokens_doubao_2024_05",), 1.0),
    Knob("token_trend", tuple(f"enterprises.{e}.growth" for e in ENTERPRISES),
         ("tokens_doubao_2024_12", "tokens_doubao_2024_05"), 214.0 / 365.0, how="ratio"),
    Knob("host_cost", ("firms.tencent.host_cost_multiplier", "firms.huawei.host_cost_multiplier"),
         ("loss_free_r1",), 1.0, aim=500e6),
)
MAX_STEP = math.log(3.0)  # no knob moves by more than x3 (or 1.1 utils) in one round


def upper_bound(key: str) -> float:
    """The schema's upper bound for a dotted key such as firms.baidu.initial_users."""
    table, _, field = key.split(".")
    hi = fields_of(TABLES[table])[field].metadata.get("hi")
    return math.inf if hi is None else float(hi)


def starting_values(scenario: str = "history") -> dict[str, float]:
    """The fitted keys' values in the scenario file itself (without the calibration file)."""
    spec = validate(read(SCENARIO_DIR / f"{scenario}.toml"), f"{scenario}.toml")
    out = {}
    for knob in KNOBS:
        for key in knob.keys:
            table, name, field = key.split(".")
            out[key] = float(getattr(getattr(spec, table)[name], field))
    return out


def fit(seeds: tuple[int, ...] = (0, 1, 2, 3, 4), consumers: int = 20_000, rounds: int = 10,
        damping: float = 0.7, log=print, workers: int = 2) -> tuple[dict[str, float], list[dict]]:
    """Run the fixed-point iteration; return the fitted values and the per-round history."""
    from market.calibration import simulate

    values = starting_values()
    targets = {t.key: t for t in TARGETS}
    history = []
    for round_ in range(rounds + 1):
        overrides = [f"{k}={v!r}" for k, v in values.items()] + [f"population.consumers={consumers}"]
        sims = simulate("history", seeds, overrides=overrides, workers=workers).mean(axis=1)
        errors = {}
        for knob in KNOBS:
            if knob.how == "ratio":
                num, den = knob.target
                simulated = sims[num] / max(sims[den], 1e-12)
                aim = targets[num].value / targets[den].value
            else:
                simulated = sum(sims[t] for t in knob.target)
                aim = knob.aim if knob.aim is not None else sum(targets[t].value for t in knob.target)
            errors[knob.name] = math.log(max(simulated, 1e-12) / aim)
        history.append({"round": round_, **{k: round(v, 4) for k, v in errors.items()}})
        log(f"round {round_}: " + ", ".join(f"{k} {v:+.3f}" for k, v in errors.items()))
        if round_ == rounds or max(abs(e) for e in errors.values()) < 0.05:
            break
        for knob in KNOBS:
            move = max(-MAX_STEP, min(MAX_STEP, -damping * errors[knob.name] / knob.exponent))
            for key in knob.keys:
                if knob.how == "shift":
                    values[key] += move
                elif knob.how == "ratio":  # a growth rate: scale (1 + g)
                    values[key] = min(upper_bound(key), (1.0 + values[key]) * math.exp(move) - 1.0)
                else:
                    values[key] = min(upper_bound(key), values[key] * math.exp(move))
        values = {k: float(np.float64(f"{v:.6g}")) for k, v in values.items()}
    return values, history


def write(values: dict[str, float], history: list[dict], seeds: tuple[int, ...], consumers: int,
          path: Path = CALIBRATION_FILE) -> Path:
    """Write the fitted values as TOML (a plain table of dotted keys), with how they were made."""
    lines = [
        "# Written by `pricewar fit` (market/fit.py): do not edit by hand; rerun the fit instead.",
        "# Applied by every scenario whose [scenario] calibration names this file, before any --set.",
        "[fit]",
        f"seeds = {list(seeds)}",
        f"consumers = {consumers}",
        f"rounds = {len(history) - 1}",
        f"final_log_errors = {{ {', '.join(f'{k} = {v}' for k, v in history[-1].items() if k != 'round')} }}",
        "",
        "[values]",
    ]
    lines += [f'"{key}" = {value!r}' for key, value in values.items()]
    tmp = path.with_suffix(".tmp")
    tmp.write_text("\n".join(lines) + "\n", encoding="utf-8")
    tmp.replace(path)
    return path
