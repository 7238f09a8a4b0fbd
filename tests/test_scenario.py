"""Tests for market.scenario: shipped scenarios load, `--set` overrides work, and every mistake a
user can make raises ScenarioError naming the file or key and what is allowed."""

from __future__ import annotations

import csv
import dataclasses
import datetime as dt
import re
import tomllib
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import market.scenario as scenario
from agents.strategies import REGISTRY, AdFunded, Pivot
from market.errors import ScenarioError
from market.schema import DECISION_ACTIONS, Firm

HISTORY_PATH = scenario.SCENARIO_DIR / "history.toml"
HISTORY = HISTORY_PATH.read_text(encoding="utf-8")
FACTS = Path(scenario.__file__).parent / "data" / "seed_facts.csv"

MINIMAL = """
[scenario]
start = 2024-01-01
end = 2024-12-31

[cohorts.everyone]
share = 1.0

[firms.alpha]
quality = 0.6

[firms.beta]
quality = 0.5
open_weights = true
"""


def write(tmp_path: Path, text: str, name: str = "case.toml") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def edited(old: str, new: str) -> str:
    """history.toml with the first `old` replaced by `new` (which must be there)."""
    assert old in HISTORY, old
    return HISTORY.replace(old, new, 1)


def toml_value(value) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, str):
        return f'"{value}"'
    return repr(value)


def minimal_with_event(**fields) -> str:
    """MINIMAL plus one [[events]] table (defaults: a shock marker on 2024-06-01)."""
    body = {"date": dt.date(2024, 6, 1), "kind": "shock", "action": "marker", **fields}
    return MINIMAL + "\n[[events]]\n" + "".join(f"{k} = {toml_value(v)}\n" for k, v in body.items())


def error(*args, **kwargs) -> str:
    with pytest.raises(ScenarioError) as info:
        scenario.load(*args, **kwargs)
    return str(info.value)


def fact_ids() -> set[str]:
    with FACTS.open(encoding="utf-8", newline="") as fh:
        return {row["id"] for row in csv.DictReader(fh)}


# ---- shipped scenarios ----------------------------------------------------------------------

def test_history_loads_and_validates():
    sc = scenario.load("history")
    assert isinstance(sc, scenario.Scenario)
    assert sc.meta.name == "history"
    assert sc.meta.start == dt.date(2024, 1, 1) and sc.meta.end == dt.date(2025, 12, 31)
    assert {"bytedance", "alibaba", "tencent", "baidu", "deepseek", "moonshot"} <= set(sc.firms)
    assert sum(c.share for c in sc.cohorts.values()) == pytest.approx(1.0)
    assert sc.events == sorted(sc.events, key=lambda e: e.date)
    assert all(sc.meta.start <= e.date <= sc.meta.end for e in sc.events)
    assert sc.channels["douyin"].owner == "bytedance"
    assert sc.source == "history.toml"


def test_default_scenario_is_history():
    assert scenario.load().meta.name == "history"


@pytest.mark.parametrize("name", [n for n, _ in scenario.available()])
def test_every_shipped_scenario_loads(name):
    sc = scenario.load(name)
    assert sc.firms and sc.cohorts
    for fid in sc.firms:
        for strategy in sc.strategies_for(fid):
            assert type(strategy) in REGISTRY.values()


def test_available_lists_history_with_a_description():
    names = dict(scenario.available())
    assert "history" in names and names["history"]


def test_strategies_for_gives_fresh_objects_with_scenario_params():
    sc = scenario.load("history")
    first, second = sc.strategies_for("bytedance"), sc.strategies_for("bytedance")
    assert [type(s).name for s in first] == list(sc.firms["bytedance"].strategies)
    assert all(a is not b for a, b in zip(first, second))
    ad = next(s for s in first if isinstance(s, AdFunded))
    assert ad.daily_budget == pytest.approx(tomllib.loads(HISTORY)["firms"]["bytedance"]["strategies"]["ad_funded"]
                                            .get("daily_budget", AdFunded().daily_budget))


def test_a_path_loads_like_a_name(tmp_path):
    sc = scenario.load(write(tmp_path, HISTORY))
    assert sc.meta.name == "history"
    assert scenario.load(str(write(tmp_path, MINIMAL, "mini.toml"))).firms.keys() == {"alpha", "beta"}


# ---- evidence ------------------------------------------------------------------------------

def test_every_decision_event_cites_existing_facts():
    ids = fact_ids()
    decisions = [e for e in tomllib.loads(HISTORY)["events"] if e["kind"] == "decision"]
    assert decisions
    for event in decisions:
        cited = re.findall(r"F\d{3}", event["evidence"])
        assert cited, event
        assert set(cited) <= ids, (event, set(cited) - ids)


def test_every_fact_id_mentioned_in_history_exists():
    ids = fact_ids()
    mentioned = set(re.findall(r"F\d{3}", HISTORY))
    for lo, hi in re.findall(r"F(\d{3})\s*[-\u2013]\s*F(\d{3})", HISTORY):  # ranges such as F049-F051
        mentioned |= {f"F{i:03d}" for i in range(int(lo), int(hi) + 1)}
    assert mentioned
    assert mentioned <= ids, sorted(mentioned - ids)


def test_every_event_cites_existing_facts():
    ids = fact_ids()
    for event in tomllib.loads(HISTORY)["events"]:
        assert set(re.findall(r"F\d{3}", event.get("evidence", ""))) <= ids, event


# ---- overrides ------------------------------------------------------------------------------

def test_override_firm_flag():
    assert scenario.load("history").firms["deepseek"].open_weights is True
    sc = scenario.load("history", ["firms.deepseek.open_weights=false"])
    assert sc.firms["deepseek"].open_weights is False


def test_override_section_value():
    sc = scenario.load("history", ["population.consumers=1000"])
    assert sc.population.consumers == 1000


def test_override_strategy_parameter():
    sc = scenario.load("history", ["firms.bytedance.strategies.ad_funded.daily_budget=0"])
    assert sc.firms["bytedance"].strategies["ad_funded"]["daily_budget"] == 0
    ad = next(s for s in sc.strategies_for("bytedance") if isinstance(s, AdFunded))
    assert ad.daily_budget == 0.0


def test_override_adds_a_strategy_the_firm_did_not_have():
    base = scenario.load("history")
    firm = next(fid for fid, f in base.firms.items() if "pivot" not in f.strategies)
    sc = scenario.load("history", [f"firms.{firm}.strategies.pivot.pivot_runway_days=100"])
    assert list(sc.firms[firm].strategies)[:-1] == list(base.firms[firm].strategies)
    pivots = [s for s in sc.strategies_for(firm) if isinstance(s, Pivot)]
    assert len(pivots) == 1 and pivots[0].pivot_runway_days == 100.0
    assert pivots[0].open_gap == Pivot().open_gap  # the rest default


def test_overrides_accept_a_dict_and_do_not_touch_the_file():
    sc = scenario.load("history", {"firms.deepseek.api_price": 3.0, "scenario.seed": 7})
    assert sc.firms["deepseek"].api_price == 3.0 and sc.meta.seed == 7
    assert scenario.load("history").firms["deepseek"].api_price == tomllib.loads(HISTORY)["firms"]["deepseek"].get(
        "api_price", Firm().api_price)


def test_several_overrides_and_string_values():
    sc = scenario.load("history", ["firms.deepseek.strategies.price_cutting.mode=follow",
                                   'firms.deepseek.name="DS"', "scenario.end=2026-06-30",
                                   "scenario.start=2024-01-01"])
    assert sc.firms["deepseek"].strategies["price_cutting"]["mode"] == "follow"
    assert sc.firms["deepseek"].name == "DS"
    assert sc.meta.end == dt.date(2026, 6, 30)


def test_parse_overrides_types():
    parsed = scenario.parse_overrides([
        "a.int=1000", "a.float=1.5", "a.exp=1e3", "a.neg=-2", "a.true=true", "a.false=false",
        "a.bare=follow", 'a.quoted="1"', "a.date=2024-05-10", " a.spaced = 7 ", "a.eq=x=y", "a.empty=",
    ])
    assert parsed == {"a.int": 1000, "a.float": 1.5, "a.exp": 1000.0, "a.neg": -2, "a.true": True,
                      "a.false": False, "a.bare": "follow", "a.quoted": "1", "a.date": dt.date(2024, 5, 10),
                      "a.spaced": 7, "a.eq": "x=y", "a.empty": ""}
    assert type(parsed["a.int"]) is int and type(parsed["a.float"]) is float
    assert scenario.parse_overrides(None) == {} and scenario.parse_overrides([]) == {}
    assert scenario.parse_overrides({"x.y": 1}) == {"x.y": 1}


@pytest.mark.parametrize("item", ["no_equals_sign", "=1", " =1"])
def test_parse_overrides_refuses_malformed_items(item):
    with pytest.raises(ScenarioError, match="KEY=VALUE"):
        scenario.parse_overrides([item])


# ---- override errors ------------------------------------------------------------------------

def test_unknown_section():
    msg = error("history", ["economy.growth=1"])
    assert "economy" in msg and "unknown section" in msg
    assert all(s in msg for s in ("scenario", "population", "firms", "cohorts", "channels"))


def test_unknown_firm():
    msg = error("history", ["firms.openai.api_price=1"])
    assert "firms.openai.api_price" in msg and "unknown firm 'openai'" in msg and "nearest valid" in msg


@pytest.mark.parametrize(("key", "close"), [
    ("firms.deepseek.api_prise", "firms.deepseek.api_price"),
    ("firms.deepseek.open_weight", "firms.deepseek.open_weights"),
    ("population.consumer", "population.consumers"),
    ("firms.bytedance.strategies.ad_funded.daily_budgt", "firms.bytedance.strategies.ad_funded.daily_budget"),
])
def test_unknown_key_suggests_the_nearest_valid_one(key, close):
    msg = error("history", [f"{key}=1"])
    assert f"'{key}'" in msg and "nearest valid" in msg and close in msg


def test_unknown_strategy_lists_the_allowed_ones():
    msg = error("history", ["firms.deepseek.strategies.dumping.depth=1"])
    assert "unknown strategy 'dumping'" in msg
    assert all(name in msg for name in REGISTRY)


def test_incomplete_keys_are_refused():
    assert "firms.deepseek" in error("history", ["firms.deepseek=1"])
    assert "firms.ID.strategies.NAME.PARAM" in error("history", ["firms.deepseek.strategies.pivot=1"])


def test_bad_type():
    msg = error("history", ["firms.deepseek.api_price=cheap"])
    assert "firms.deepseek.api_price" in msg and "must be a number" in msg and "cheap" in msg
    msg = error("history", ["firms.deepseek.open_weights=1"])
    assert "firms.deepseek.open_weights" in msg and "true/false" in msg
    msg = error("history", ["population.consumers=1000.5"])
    assert "population.consumers" in msg and "integer" in msg


@pytest.mark.parametrize(("item", "key", "allowed"), [
    ("firms.deepseek.api_price=-1", "firms.deepseek.api_price", "between 0 and 10000"),
    ("cohorts.students.share=1.5", "cohorts.students.share", "between 0 and 1"),
    ("firms.deepseek.free_token_share=1.01", "firms.deepseek.free_token_share", "between 0 and 1"),
    ("cohorts.students.reconsider_rate=0", "cohorts.students.reconsider_rate", "between 0.001 and 1"),
    ("firms.bytedance.strategies.ad_funded.daily_budget=-5", "firms.bytedance.strategies.ad_funded.daily_budget",
     "between 0 and"),
    ("firms.deepseek.api_price=inf", "firms.deepseek.api_price", "finite"),
    ("firms.deepseek.api_price=nan", "firms.deepseek.api_price", "finite"),
])
def test_out_of_range(item, key, allowed):
    msg = error("history", [item])
    assert f"'{key}'" in msg and allowed in msg


def test_choice_outside_the_allowed_ones():
    msg = error("history", ["firms.deepseek.strategies.price_cutting.mode=dumping"])
    assert "mode" in msg and all(c in msg for c in ("follow", "undercut", "cost_plus"))


def test_cohort_shares_must_sum_to_one():
    msg = error("history", ["cohorts.students.share=0.3"])
    assert "cohorts" in msg and "sum to 1" in msg and "1.1" in msg


def test_endogenous_refuses_decision_events():
    msg = error("history", ["scenario.endogenous=true"])
    assert "endogenous" in msg and "events[" in msg


def test_end_before_start():
    msg = error("history", ["scenario.end=2023-12-31"])
    assert "scenario.end" in msg


def test_events_outside_the_dates():
    msg = error("history", ["scenario.start=2024-03-01"])
    assert "events[" in msg and "2024-02-15" in msg and "outside" in msg
    assert "outside" in error("history", ["scenario.end=2024-12-31"])


def test_channel_owned_by_an_unknown_firm():
    msg = error("history", ['channels.douyin.owner="tiktok"'])
    assert "channels.douyin.owner" in msg and "unknown firm 'tiktok'" in msg and "nearest valid" in msg


# ---- file errors ----------------------------------------------------------------------------

def test_file_errors_name_the_file(tmp_path):
    path = write(tmp_path, edited("[firms.deepseek.strategies.price_cutting]\n",
                                  "[firms.deepseek.strategies.price_cutting]\nmax_cut = 1.5\n"))
    msg = error(path)
    assert str(path) in msg and "firms.deepseek.strategies.price_cutting.max_cut" in msg and "between 0 and 1" in msg


def test_malformed_toml_names_the_file(tmp_path):
    path = write(tmp_path, HISTORY + "\n[firms.deepseek\nquality = \n")
    msg = error(path)
    assert str(path) in msg and "TOML" in msg


def test_non_existent_path(tmp_path):
    missing = tmp_path / "missing.toml"
    msg = error(missing)
    assert str(missing) in msg and "no such" in msg
    assert "no such" in error(str(tmp_path))  # a directory is not a scenario file


def test_unknown_scenario_name_lists_available():
    msg = error("no_such_scenario")
    assert "no_such_scenario" in msg and "available" in msg and "history" in msg


def test_unknown_section_in_file(tmp_path):
    msg = error(write(tmp_path, HISTORY + "\n[economy]\ngrowth = 1.0\n"))
    assert "economy" in msg and "events" in msg


def test_unknown_key_in_file(tmp_path):
    msg = error(write(tmp_path, edited("[firms.deepseek]\n", "[firms.deepseek]\napi_prise = 5.0\n")))
    assert "firms.deepseek.api_prise" in msg and "nearest valid" in msg and "api_price" in msg


def test_unknown_strategy_in_file(tmp_path):
    msg = error(write(tmp_path, edited("[firms.deepseek.strategies.price_cutting]",
                                       "[firms.deepseek.strategies.price_cuting]")))
    assert "firms.deepseek.strategies.price_cuting" in msg and "price_cutting" in msg and "pivot" in msg


def test_decision_event_without_fact_ids(tmp_path):
    text, n = re.subn(r'(kind = "decision"\n(?:[^\[].*\n)*?evidence = )"[^"]*"', r'\1"seed article"', HISTORY,
                      count=1)
    assert n == 1
    msg = error(write(tmp_path, text))
    assert "evidence" in msg and "F###" in msg


def test_decision_event_in_an_endogenous_scenario(tmp_path):
    text = re.sub(r"^endogenous = .*$", "", HISTORY, flags=re.M)
    text = text.replace("[scenario]\n", "[scenario]\nendogenous = true\n", 1)
    msg = error(write(tmp_path, text))
    assert "endogenous" in msg


def test_event_with_unknown_action(tmp_path):
    msg = error(write(tmp_path, edited('action = "marker"', 'action = "markr"')))
    assert "markr" in msg and "marker" in msg and "release" in msg and ".action" in msg
    msg = error(write(tmp_path, minimal_with_event(kind="decision", action="release", evidence="F001")))
    assert all(a in msg for a in DECISION_ACTIONS)


def test_event_outside_the_dates_in_file(tmp_path):
    text, n = re.subn(r"^date = 2025-(\d\d-\d\d)", r"date = 2027-\1", HISTORY, count=1, flags=re.M)
    assert n == 1
    msg = error(write(tmp_path, text))
    assert "2027-" in msg and "outside" in msg and "events[" in msg


@pytest.mark.parametrize(("fields", "needle"), [
    ({"action": "release", "firm": "gamma"}, "unknown firm 'gamma'"),
    ({"action": "channel_ban", "channel": "douyin"}, "unknown channel 'douyin'"),
    ({"kind": "decision", "action": "integrate", "firm": "alpha", "model": "gamma", "evidence": "F001"},
     "unknown firm 'gamma'"),
    ({"kind": "decision", "action": "open_weights", "firm": "alpha", "value": 1, "evidence": "F001"},
     "true or false"),
    ({"kind": "decision", "action": "api_price", "firm": "alpha", "value": -1.0, "evidence": "F001"},
     "between 0 and 10000"),
    ({"kind": "decision", "action": "api_price", "firm": "alpha", "evidence": "F001"}, "must be a number"),
    ({"kind": "merger"}, "must be one of shock, decision"),
    ({"when": "2024-06-01"}, "unknown key"),
])
def test_bad_events(tmp_path, fields, needle):
    msg = error(write(tmp_path, minimal_with_event(**fields)))
    assert needle in msg and "events[0]" in msg


def test_a_good_minimal_event_loads(tmp_path):
    sc = scenario.load(write(tmp_path, minimal_with_event(kind="decision", action="api_price", firm="alpha",
                                                          value=2, evidence="F083")))
    assert sc.events[0].value == 2.0 and isinstance(sc.events[0].value, float)


def test_nan_event_value_is_a_scenario_error(tmp_path):
    path = write(tmp_path, minimal_with_event(kind="decision", action="api_price", firm="alpha", evidence="F083")
                 + "value = nan\n")
    msg = error(path)
    assert "events[0].value" in msg


def test_events_that_are_not_an_array_of_tables(tmp_path):
    msg = error(write(tmp_path, "events = 3\n" + MINIMAL))
    assert "events" in msg


@pytest.mark.parametrize(("text", "item"), [
    ("scenario = 3\n" + MINIMAL.replace("[scenario]\nstart = 2024-01-01\nend = 2024-12-31\n", ""),
     "scenario.seed=1"),
    (MINIMAL.replace("[firms.alpha]\n", "[firms.alpha]\nstrategies = 3\n"), "firms.alpha.strategies.pivot.every=2"),
    ("firms = 3\n[cohorts.all]\nshare = 1.0\n", "firms.alpha.quality=1"),
], ids=["section", "strategies", "table"])
def test_override_on_a_malformed_section_is_a_scenario_error(tmp_path, text, item):
    path = write(tmp_path, text)
    assert "must be a table" in error(path)  # without the override the mistake is reported well
    msg = error(path, [item])
    assert item.split(".")[0] in msg


def test_every_numeric_schema_field_has_both_bounds():
    """check_range formats both bounds; a field with only one would crash the error message."""
    from market import schema

    for cls in [*schema.SECTIONS.values(), *schema.TABLES.values(), schema.Event, *REGISTRY.values()]:
        for f in dataclasses.fields(cls):
            lo, hi = f.metadata.get("lo"), f.metadata.get("hi")
            assert (lo is None) == (hi is None), f"{cls.__name__}.{f.name}"
            if f.type in ("int", "float"):
                assert lo is not None, f"{cls.__name__}.{f.name} is unbounded"


def test_structural_errors(tmp_path):
    assert "at least one firm" in error(write(tmp_path, "[cohorts.all]\nshare = 1.0\n"))
    assert "at least one consumer cohort" in error(write(tmp_path, "[firms.alpha]\n"))
    assert "must be a table" in error(write(tmp_path, MINIMAL.replace("[firms.beta]", "[firms.beta.strategies]\n"
                                                                      "pivot = 3\n[firms.gamma]")))
    assert "scenario.end" in error(write(tmp_path, MINIMAL.replace("end = 2024-12-31", "end = 2023-12-31")))


def test_error_carries_source_and_key():
    with pytest.raises(ScenarioError) as info:
        scenario.load("history", ["firms.deepseek.api_price=-1"])
    assert info.value.key == "firms.deepseek.api_price"
    assert info.value.source == "--set"  # the bad value came from --set, not from the file
    assert isinstance(info.value, ValueError)
    with pytest.raises(ScenarioError) as info:
        scenario.validate(
            {**scenario.read(scenario.resolve("history")), "population": {"consumers": -1}}, "history.toml")
    assert info.value.source == "history.toml" and info.value.key == "population.consumers"


# ---- property: numeric firm bounds ----------------------------------------------------------

FIRM_IDS = sorted(tomllib.loads(HISTORY)["firms"])
BOUNDED = [(f.name, f.metadata["lo"], f.metadata["hi"]) for f in dataclasses.fields(Firm)
           if f.type in ("float", "int") and f.metadata.get("lo") is not None]


def test_firm_has_bounded_numeric_fields():
    assert len(BOUNDED) > 20
    assert all(lo < hi for _, lo, hi in BOUNDED)


@st.composite
def firm_override(draw, inside: bool):
    name, lo, hi = draw(st.sampled_from(BOUNDED))
    if inside:
        value = draw(st.floats(min_value=lo, max_value=hi, allow_nan=False))
    else:
        span = max(1.0, hi - lo)
        value = draw(st.one_of(
            st.floats(min_value=lo - span, max_value=lo, exclude_max=True, allow_nan=False),
            st.floats(min_value=hi, max_value=hi + span, exclude_min=True, allow_nan=False),
            st.sampled_from([float("inf"), float("-inf")]),
        ))
    return f"firms.{draw(st.sampled_from(FIRM_IDS))}.{name}", name, value


@settings(deadline=None, max_examples=40)
@given(firm_override(inside=True))
def test_numeric_firm_override_inside_bounds_loads(case):
    key, name, value = case
    firm = key.split(".")[1]
    sc = scenario.load("history", [f"{key}={value!r}"])
    assert getattr(sc.firms[firm], name) == value


@settings(deadline=None, max_examples=40)
@given(firm_override(inside=False))
def test_numeric_firm_override_outside_bounds_is_refused(case):
    key, _, value = case
    with pytest.raises(ScenarioError) as info:
        scenario.load("history", [f"{key}={value!r}"])
    assert f"'{key}'" in str(info.value)
