"""Scenario files: find, read (tomllib), override (`--set a.b.c=value`) and validate them.

A scenario is a TOML file with the sections [scenario], [population], [network], [cohorts.*],
[enterprises.*], [firms.*] (with [firms.*.strategies.*]), [channels.*] and [[events]]. Every
key is checked against `market.schema`; a mistake raises ScenarioError naming the file, the key
and what is allowed.
"""

from __future__ import annotations

import copy
import re
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from agents.strategies import REGISTRY, Strategy
from market.errors import ScenarioError, nearest
from market.schema import (
    DECISION_ACTIONS,
    SECTIONS,
    SHOCK_ACTIONS,
    TABLES,
    Channel,
    Cohort,
    Enterprise,
    Event,
    Firm,
    Meta,
    Network,
    Population,
    build,
    check_range,
    fields_of,
)

SCENARIO_DIR = Path(__file__).parent / "scenarios"
DATA_DIR = Path(__file__).parent / "data"
TOP_LEVEL = (*SECTIONS, *TABLES, "events")
EVIDENCE = re.compile(r"F\d{3}")


@dataclass
class Scenario:
    """A validated scenario: plain dataclasses, ready to build a model from."""

    meta: Meta
    population: Population
    network: Network
    cohorts: dict[str, Cohort]
    enterprises: dict[str, Enterprise]
    firms: dict[str, Firm]
    channels: dict[str, Channel]
    events: list[Event]
    source: str = ""
    raw: dict = field(default_factory=dict, repr=False)

    def strategies_for(self, firm_id: str) -> list[Strategy]:
        """Fresh strategy objects for one firm (a run never shares them with another)."""
        specs = self.firms[firm_id].strategies
        return [build(REGISTRY[name], params, "", self.source) for name, params in specs.items()]


def available() -> list[tuple[str, str]]:
    """(name, description) of every scenario shipped with the package."""
    out = []
    for path in sorted(SCENARIO_DIR.glob("*.toml")):
        try:
            meta = tomllib.loads(path.read_text(encoding="utf-8")).get("scenario", {})
        except tomllib.TOMLDecodeError:
            meta = {}
        out.append((path.stem, str(meta.get("description", "")).strip().split("\n")[0]))
    return out


def resolve(name: str | Path) -> Path:
    """A shipped scenario by name, or a path to a TOML file."""
    candidate = Path(name)
    if candidate.suffix == ".toml" or candidate.exists():
        if not candidate.is_file():
            raise ScenarioError("no such scenario file", source=str(candidate))
        return candidate
    shipped = SCENARIO_DIR / f"{name}.toml"
    if not shipped.is_file():
        names = [n for n, _ in available()]
        raise ScenarioError(f"unknown scenario '{name}'; available: {', '.join(names)}",
                            source=str(name))
    return shipped


def read(path: Path) -> dict:
    try:
        return tomllib.loads(path.read_text(encoding="utf-8"))
    except tomllib.TOMLDecodeError as exc:
        raise ScenarioError(f"not valid TOML: {exc}", source=str(path)) from None
    except (OSError, UnicodeDecodeError) as exc:
        raise ScenarioError(f"cannot read: {exc}", source=str(path)) from None


def parse_value(text: str) -> Any:
    """A --set value as TOML (numbers, true/false, dates, quoted strings), else a bare string."""
    try:
        return tomllib.loads(f"v = {text}")["v"]
    except tomllib.TOMLDecodeError:
        return text


def parse_overrides(items: list[str] | dict | None) -> dict[str, Any]:
    """`["a.b=1", ...]` or a dict into {dotted key: value}."""
    if not items:
        return {}
    if isinstance(items, dict):
        return dict(items)
    out = {}
    for item in items:
        key, sep, value = item.partition("=")
        if not sep or not key.strip():
            raise ScenarioError(f"--set takes KEY=VALUE, got '{item}'", source="--set")
        out[key.strip()] = parse_value(value.strip())
    return out


def valid_keys(raw: dict) -> list[str]:
    """Every dotted key `--set` accepts for this scenario (used for 'nearest valid' hints)."""
    keys = [f"{sec}.{name}" for sec, cls in SECTIONS.items() for name in fields_of(cls)]
    for table, cls in TABLES.items():
        for item, body in raw.get(table, {}).items():
            keys += [f"{table}.{item}.{name}" for name in fields_of(cls) if name != "strategies"]
            if table == "firms":
                for strategy in (body or {}).get("strategies", {}):
                    if strategy in REGISTRY:
                        keys += [f"firms.{item}.strategies.{strategy}.{p}"
                                 for p in fields_of(REGISTRY[strategy])]
    return keys


def apply_overrides(raw: dict, overrides: dict[str, Any], source: str = "--set") -> dict:
    """Set dotted keys in a copy of the raw scenario; refuse keys the schema does not know."""
    raw = copy.deepcopy(raw)
    for key, value in overrides.items():
        parts = key.split(".")

        def fail(what: str, _key: str = key) -> None:
            raise ScenarioError(f"{what}; {nearest(_key, valid_keys(raw))}", source=source, key=_key)

        def table(parent: dict, name: str, path: str) -> dict:
            body = parent.setdefault(name, {})
            if not isinstance(body, dict):
                raise ScenarioError("must be a table", source=source, key=path)
            return body

        head = parts[0]
        if head in SECTIONS:
            if len(parts) != 2 or parts[1] not in fields_of(SECTIONS[head]):
                fail("unknown key")
            table(raw, head, head)[parts[1]] = value
        elif head in TABLES:
            items = table(raw, head, head)
            if len(parts) < 3:
                fail("incomplete key")
            if parts[1] not in items:
                kind = head.rstrip("s")
                raise ScenarioError(f"unknown {kind} '{parts[1]}'; {nearest(parts[1], items)}",
                                    source=source, key=key)
            body = table(items, parts[1], f"{head}.{parts[1]}")
            if head == "firms" and parts[2] == "strategies":
                if len(parts) != 5:
                    fail("strategy keys look like firms.ID.strategies.NAME.PARAM")
                if parts[3] not in REGISTRY:
                    raise ScenarioError(f"unknown strategy '{parts[3]}'; allowed: {', '.join(REGISTRY)}",
                                        source=source, key=key)
                if parts[4] not in fields_of(REGISTRY[parts[3]]):
                    fail("unknown strategy parameter")
                strategies = table(body, "strategies", f"firms.{parts[1]}.strategies")
                table(strategies, parts[3], ".".join(parts[:4]))[parts[4]] = value
            else:
                if len(parts) != 3 or parts[2] not in fields_of(TABLES[head]):
                    fail("unknown key")
                body[parts[2]] = value
        else:
            raise ScenarioError(f"unknown section '{head}'; allowed: {', '.join(TOP_LEVEL[:-1])}",
                                source=source, key=key)
    return raw


def validate(raw: dict, source: str) -> Scenario:
    """Turn a raw TOML dict into a Scenario, or raise ScenarioError at the first problem."""
    for key in raw:
        if key not in TOP_LEVEL:
            raise ScenarioError(f"unknown section; allowed: {', '.join(TOP_LEVEL)}",
                                source=source, key=key)
    meta = build(Meta, raw.get("scenario", {}), "scenario", source)
    population = build(Population, raw.get("population", {}), "population", source)
    network = build(Network, raw.get("network", {}), "network", source)
    tables: dict[str, dict[str, Any]] = {}
    for table, cls in TABLES.items():
        body = raw.get(table, {})
        if not isinstance(body, dict):
            raise ScenarioError("must be a table of named entries", source=source, key=table)
        tables[table] = {name: build(cls, spec, f"{table}.{name}", source)
                         for name, spec in body.items()}
    if meta.end < meta.start:
        raise ScenarioError(f"must not be before scenario.start ({meta.start})", source=source,
                            key="scenario.end")
    if not tables["firms"]:
        raise ScenarioError("a scenario needs at least one firm", source=source, key="firms")
    if not tables["cohorts"]:
        raise ScenarioError("a scenario needs at least one consumer cohort", source=source, key="cohorts")
    total = sum(c.share for c in tables["cohorts"].values())
    if abs(total - 1.0) > 1e-6:
        raise ScenarioError(f"cohort shares must sum to 1, got {total:g}", source=source,
                            key="cohorts.*.share")
    firms = tables["firms"]
    for fid, firm in firms.items():
        # `[firms.X.strategies] name = false` removes a strategy a base scenario gave the firm
        firm.strategies = {k: v for k, v in firm.strategies.items() if v is not False}
        for name, params in firm.strategies.items():
            key = f"firms.{fid}.strategies.{name}"
            if name not in REGISTRY:
                raise ScenarioError(f"unknown strategy; allowed: {', '.join(REGISTRY)}",
                                    source=source, key=key)
            build(REGISTRY[name], params, key, source)
    for cid, channel in tables["channels"].items():
        if channel.owner not in firms:
            raise ScenarioError(f"unknown firm '{channel.owner}'; {nearest(channel.owner, firms)}",
                                source=source, key=f"channels.{cid}.owner")
    raw_events = raw.get("events", [])
    if not isinstance(raw_events, list):
        raise ScenarioError("must be an array of tables ([[events]])", source=source, key="events")
    events = [validate_event(i, e, meta, firms, tables["channels"], source)
              for i, e in enumerate(raw_events)]
    events.sort(key=lambda e: e.date)
    return Scenario(meta, population, network, tables["cohorts"], tables["enterprises"], firms,
                    tables["channels"], events, source=source, raw=raw)


def validate_event(i: int, table: Any, meta: Meta, firms: dict, channels: dict, source: str) -> Event:
    path = f"events[{i}]"
    event = build(Event, table, path, source)
    allowed = SHOCK_ACTIONS if event.kind == "shock" else DECISION_ACTIONS
    if event.action not in allowed:
        raise ScenarioError(f"a {event.kind} event's action must be one of {', '.join(allowed)}; "
                            f"got '{event.action}'", source=source, key=f"{path}.action")
    if event.kind == "decision":
        if meta.endogenous:
            raise ScenarioError("decision events are refused when scenario.endogenous = true "
                                "(every decision must come from strategies)", source=source, key=path)
        if not EVIDENCE.search(event.evidence):
            raise ScenarioError("a decision event must cite its evidence as F### row ids",
                                source=source, key=f"{path}.evidence")
    needs_firm = event.action not in ("channel_ban", "demand", "marker")
    if needs_firm and event.firm not in firms:
        raise ScenarioError(f"unknown firm '{event.firm}'; {nearest(event.firm, firms)}",
                            source=source, key=f"{path}.firm")
    if event.action == "channel_ban" and event.channel not in channels:
        raise ScenarioError(f"unknown channel '{event.channel}'; allowed: {', '.join(channels) or 'none'}",
                            source=source, key=f"{path}.channel")
    if event.action == "integrate" and event.model not in firms:
        raise ScenarioError(f"unknown firm '{event.model}'; {nearest(event.model, firms)}",
                            source=source, key=f"{path}.model")
    numeric = {"api_price": (0.0, 1e4), "sub_price": (0.0, 1e3), "ad_budget": (0.0, 1e10),
               "search_ad_load": (0.0, 1.0), "offpeak_discount": (0.0, 1.0), "funding": (0.0, 1e13),
               "demand": (0.0, 1e3)}
    if event.action in numeric:
        lo, hi = numeric[event.action]
        event.value = float(check_range(event.value, lo, hi, f"{path}.value", source))
    if event.action == "open_weights" and not isinstance(event.value, bool):
        raise ScenarioError("must be true or false", source=source, key=f"{path}.value")
    if not (meta.start <= event.date <= meta.end):
        raise ScenarioError(f"date {event.date} is outside the scenario ({meta.start} to {meta.end})",
                            source=source, key=f"{path}.date")
    return event


def merge(base: dict, changes: dict) -> dict:
    """Deep-merge `changes` into a copy of `base`: tables merge key by key, other values replace.

    A child may drop events from its base (`scenario.drop_events`, by label); one with
    `endogenous = true` drops all of the base's decision events."""
    out = copy.deepcopy(base)
    for key, value in changes.items():
        if isinstance(value, dict) and isinstance(out.get(key), dict):
            out[key] = merge(out[key], value)
        else:
            out[key] = copy.deepcopy(value)
    return out


def read_with_base(path: Path, seen: tuple[Path, ...] = ()) -> dict:
    """Read a scenario; if it `extends` another, start from that one's (resolved) contents.

    The child's tables override the base's key by key; its [[events]] are added to the base's,
    less those whose label is listed in `scenario.drop_events`.
    """
    raw = read(path)
    meta = raw.get("scenario", {})
    base_name = meta.get("extends", "") if isinstance(meta, dict) else ""
    if not base_name:
        return raw
    if not isinstance(base_name, str):
        raise ScenarioError("must be a scenario name or path", source=str(path), key="scenario.extends")
    local = path.parent / base_name
    base_path = local if local.suffix == ".toml" and local.is_file() else resolve(base_name)
    if base_path.resolve() in seen or base_path.resolve() == path.resolve():
        raise ScenarioError("scenarios extend each other in a loop", source=str(path), key="scenario.extends")
    base = read_with_base(base_path, (*seen, path.resolve()))
    drop = meta.get("drop_events", [])
    base_events = base.get("events", [])
    if not isinstance(drop, list) or not isinstance(base_events, list):
        raise ScenarioError("must be a list of event labels", source=str(path), key="scenario.drop_events")
    labels = {e.get("label") for e in base_events if isinstance(e, dict)}
    for label in drop:
        if label not in labels:
            raise ScenarioError(f"no event labelled '{label}' in {base_path.name}; "
                                f"{nearest(str(label), [lb for lb in labels if lb])}",
                                source=str(path), key="scenario.drop_events")
    child_events = raw.get("events", [])
    if not isinstance(child_events, list):
        raise ScenarioError("must be an array of tables ([[events]])", source=str(path), key="events")
    base_meta = {k: v for k, v in base.get("scenario", {}).items() if k not in ("description", "name")}
    merged = merge({**base, "scenario": base_meta}, {k: v for k, v in raw.items() if k != "events"})
    endogenous = merged["scenario"].get("endogenous", False) is True
    merged["events"] = [e for e in base_events if e.get("label") not in drop
                        and not (endogenous and e.get("kind") == "decision")] + child_events
    merged["scenario"].pop("extends", None)
    merged["scenario"].pop("drop_events", None)
    return merged


def apply_calibration(raw: dict, path: Path) -> dict:
    """Apply the fitted values named by `scenario.calibration` (see market/fit.py)."""
    name = raw.get("scenario", {}).get("calibration", "") if isinstance(raw.get("scenario"), dict) else ""
    if not name:
        return raw
    candidates = [DATA_DIR / name, path.parent / name, Path(name)]
    found = next((c for c in candidates if c.is_file()), None)
    if found is None:
        raise ScenarioError(f"no calibration file '{name}' (looked in {DATA_DIR})", source=str(path),
                            key="scenario.calibration")
    values = read(found).get("values", {})
    if not isinstance(values, dict):
        raise ScenarioError("must hold a [values] table", source=str(found), key="values")
    return apply_overrides(raw, values, source=str(found.name))


def load(scenario: str | Path = "history", overrides: list[str] | dict | None = None) -> Scenario:
    """Read, override and validate a scenario by name or path."""
    path = resolve(scenario)
    raw = read_with_base(path)
    raw = apply_calibration(raw, path)
    changes = parse_overrides(overrides)
    raw = apply_overrides(raw, changes)
    try:
        return validate(raw, str(path if path.parent != SCENARIO_DIR else path.name))
    except ScenarioError as exc:
        if exc.key in changes:  # a bad value given with --set: blame --set, not the file
            raise ScenarioError(exc.message, source="--set", key=exc.key) from None
        raise
