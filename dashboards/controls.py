"""The side panel: scenario, seed, population and per-firm levers, applied at the next Reset.

Every change is checked with the scenario schema (`Settings.check`) before it is committed to the
tab's Session; input that fails is not committed and a message says why, so Reset always builds
from settings that work. Levers left at the scenario's own value are not overridden.
"""

from __future__ import annotations

import dataclasses
import html
import os
from collections.abc import Callable

import solara

from dashboards.live_model import Session
from dashboards.markup import Markdown
from dashboards.settings import (
    AD_BUDGET_MAX,
    CONSUMERS_RANGE,
    INTEGRATE_CHOICES,
    INTEGRATE_LABELS,
    PRICE_MODES,
    SCENARIO_ENV,
    SUB_PRICE_MAX,
    FirmDefaults,
    FirmLevers,
    Settings,
    firm_defaults,
    parse_extra,
    parse_seed,
    scenario_choices,
)
from market.errors import ScenarioError

AS_IN_SCENARIO = "as in the scenario"
AD_STEP = 0.1  # M CNY/day
SUB_STEP = 1.0  # CNY/month
PANEL_STYLE = {"width": "372px", "max-width": "100%"}


def slider_value(value: float, default: float, step: float, unit: float = 1.0) -> float | None:
    """A slider's value in model units, or None when it is the scenario's value.

    A slider snaps to its step and reports the snapped value even when nobody moved it, so a
    value within half a step of the scenario's counts as "not changed".
    """
    if abs(float(value) - default) < step / 2:
        return None
    return round(float(value), 6) * unit


@solara.component
def LeverPanel(settings: solara.Reactive[Settings], session: Session, running: Settings) -> None:
    """Controls for the next Reset; `running` is what the current model was built from."""
    refused, set_refused = solara.use_state(None)  # message for the last refused change
    current = settings.value

    def commit(new: Settings, where: str) -> bool:
        problem = new.check()
        if problem is not None:
            set_refused(f"{where} not applied: {problem}")
            return False
        set_refused(None)
        session.settings = new
        settings.set(new)
        return True

    with solara.Card("Scenario and levers", margin=0, classes=["pricewar-levers"], style=PANEL_STYLE):
        Markdown("Changes apply when you press **Reset** (in Controls, above).", style="font-size: 13px")
        ScenarioInputs(current, commit)
        FirmInputs(current, commit)
        ExtraInput(current, commit)
        if refused:
            solara.Error(refused, classes=["pricewar-refused"])
        LeverSummary(current, running)


@solara.component
def ScenarioInputs(current: Settings, commit: Callable[[Settings, str], bool]) -> None:
    """Scenario, seed (typed; refused with a message unless a whole number in range), population."""
    seed_text, set_seed_text = solara.use_state(str(current.seed))
    seed_error, set_seed_error = solara.use_state("")

    def on_scenario(name: str) -> None:
        commit(dataclasses.replace(current, scenario=name, levers=(), extra=()), "scenario")

    def on_seed(text: str) -> None:
        set_seed_text(text)
        try:
            seed = parse_seed(text)
        except ScenarioError as exc:
            set_seed_error(exc.message)
            return
        set_seed_error("")
        commit(dataclasses.replace(current, seed=seed), "seed")

    def on_consumers(n: int) -> None:
        commit(dataclasses.replace(current, consumers=int(n)), "population")

    solara.Select("scenario", values=scenario_choices(os.environ.get(SCENARIO_ENV)), value=current.scenario,
                  on_value=on_scenario)
    solara.InputText("seed (0 to 4294967295)", value=seed_text, on_value=on_seed, error=seed_error or False,
                     continuous_update=False, classes=["pricewar-seed"])
    lo, hi, step = CONSUMERS_RANGE
    Caption(f"simulated consumers: {current.consumers:,}")
    solara.SliderInt("", value=current.consumers, min=lo, max=hi, step=step, on_value=on_consumers, thumb_label=False)


@solara.component
def FirmInputs(current: Settings, commit: Callable[[Settings, str], bool]) -> None:
    """Pick a firm, then its levers; each shows the scenario's value until changed."""
    defaults = firm_defaults(current.scenario)
    firm, set_firm = solara.use_state(next(iter(defaults)))
    if firm not in defaults:
        firm = next(iter(defaults))
    d = defaults[firm]
    lv = current.levers_of(firm)
    by_label = {fd.label: fid for fid, fd in defaults.items()}

    def change(where: str, **values: object) -> None:
        commit(current.with_levers(firm, dataclasses.replace(lv, **values)), f"{d.label}: {where}")

    solara.Select("firm", values=list(by_label), value=d.label, on_value=lambda text: set_firm(by_label[text]))
    solara.Checkbox(label="open weights", value=d.open_weights if lv.open_weights is None else lv.open_weights,
                    on_value=lambda v: change("open weights", open_weights=None if v == d.open_weights else v))
    PriceModeSelect(d, lv, change)
    if d.has_app:
        ad_m = (d.ad_budget if lv.ad_budget is None else lv.ad_budget) / 1e6
        Caption(f"daily ad budget: {ad_m:.2f} M CNY/day")
        solara.SliderFloat("", value=ad_m, min=0.0, max=AD_BUDGET_MAX / 1e6, step=AD_STEP, thumb_label=False,
                           on_value=lambda v: change("ad budget", ad_budget=slider_value(v, d.ad_budget / 1e6, AD_STEP,
                                                                                         1e6)))
        sub = d.sub_price if lv.sub_price is None else lv.sub_price
        Caption(f"subscription price: {sub:.0f} CNY/month" + (" (a free app)" if sub == 0 else ""))
        solara.SliderFloat("", value=sub, min=0.0, max=SUB_PRICE_MAX, step=SUB_STEP, thumb_label=False,
                           on_value=lambda v: change("subscription price",
                                                     sub_price=slider_value(v, d.sub_price, SUB_STEP)))
        IntegrateSelect(d, lv, change)
    else:
        solara.Text("No consumer app: ad budget, subscription and integration do not apply.",
                    style="font-size: 12px; color: #666")
    if not lv.is_empty():
        solara.Button("this firm as in the scenario", text=True, small=True,
                      on_click=lambda: commit(current.with_levers(firm, FirmLevers()), f"{d.label}"))


def Caption(text: str) -> None:
    """A slider's label on its own line (an inline label leaves the slider too short)."""
    solara.Text(text, style={"font-size": "13px", "color": "#555", "margin-top": "6px"})


@solara.component
def PriceModeSelect(d: FirmDefaults, lv: FirmLevers, change: Callable[..., None]) -> None:
    default = f"{AS_IN_SCENARIO} ({d.price_mode or 'list price fixed'})"
    values = [default, *PRICE_MODES]

    def on_value(text: str) -> None:
        change("API price policy", price_mode=None if text == default or text == d.price_mode else text)

    solara.Select("API price policy", values=values, value=lv.price_mode or default, on_value=on_value)


@solara.component
def IntegrateSelect(d: FirmDefaults, lv: FirmLevers, change: Callable[..., None]) -> None:
    default = f"{AS_IN_SCENARIO} ({'its strategy decides' if d.integrates else 'only dated events'})"
    labels = {INTEGRATE_LABELS[c]: c for c in INTEGRATE_CHOICES}
    values = [default, *labels]
    shown = default if lv.integrate is None else INTEGRATE_LABELS[lv.integrate]

    def on_value(text: str) -> None:
        change("integration", integrate=labels.get(text))

    solara.Select("integrate a rival's open model", values=values, value=shown, on_value=on_value)


@solara.component
def ExtraInput(current: Settings, commit: Callable[[Settings, str], bool]) -> None:
    """Any other `--set KEY=VALUE` (one a line), as `pricewar keys` lists them."""
    text, set_text = solara.use_state("\n".join(current.extra))
    error, set_error = solara.use_state("")

    def on_value(value: str) -> None:
        set_text(value)
        try:
            lines = parse_extra(value)
        except ScenarioError as exc:
            set_error(str(exc))
            return
        ok = commit(dataclasses.replace(current, extra=lines), "extra --set")
        set_error("" if ok else "refused: see the message below")

    solara.InputTextArea("extra --set KEY=VALUE lines (see `pricewar keys`)", value=text, on_value=on_value,
                         error=error or False, continuous_update=False, rows=2, auto_grow=True)


@solara.component
def LeverSummary(current: Settings, running: Settings) -> None:
    """The overrides the next Reset uses, and whether the running model already has them."""
    items = current.overrides()
    Markdown(f"**Next Reset:** scenario `{current.scenario}`, seed {current.seed}, with", style="font-size: 12px")
    body = html.escape("\n".join(f"--set {item}" for item in items))
    solara.HTML(tag="pre", unsafe_innerHTML=body, classes=["pricewar-overrides"],
                style="white-space: pre-wrap; word-break: break-all; font-size: 11px; background: #f5f5f5; "
                      "padding: 6px; margin: 0 0 8px 0")
    if current != running:
        solara.Warning("Changed since the last Reset: press Reset to apply.", dense=True,
                       classes=["pricewar-pending"])
