"""A plotly chart that follows a running model: a small anywidget drawing with `Plotly.react`.

Why not `solara.FigurePlotly`: plotly's FigureWidget is an anywidget whose 5 MB JavaScript
bundle (plotly.js inside) is sent over the websocket and evaluated once per chart (opening a
tab of four charts took seconds), and it replaces every trace on each render, so zoom and legend
choices were lost at every step. Here:

* plotly.js is a static file the solara server serves from the installed plotly package
  (`/static/assets/plotly.min.js`): loaded once per page, cached, no internet needed;
* a chart sends its whole figure as JSON only when it is new or its layout or traces change;
  after a model step it sends just the points added to each series (a few hundred bytes), and
  the browser appends them. If the browser's copy ever disagrees (a message lost while the
  widget was loading), it asks for the whole figure again;
* `Plotly.react` with a fixed `uirevision` keeps the reader's zoom and hidden legend entries,
  and redraws are coalesced to one per animation frame, so a fast Play cannot queue up work.
"""

from __future__ import annotations

import functools
import json
import uuid
from pathlib import Path
from typing import Any

import anywidget
import numpy as np
import plotly
import solara
import traitlets
from plotly.io.json import to_json_plotly

PLOTLY_DIR = Path(plotly.__file__).parent / "package_data"  # holds plotly.min.js
ASSET_PATH = "/static/assets/plotly.min.js"  # where solara serves extra asset directories
DATA_KEYS = ("x", "y", "customdata", "text", "marker.color")  # what may grow from step to step

ESM = """
const STATES = new Map();  // widget uid -> {fig, plots, frame}

function plotlyReady() {
  if (window.Plotly) return Promise.resolve(window.Plotly);
  if (!window.__pricewarPlotly) {
    const root = (window.solara && window.solara.rootPath) || "";
    window.__pricewarPlotly = new Promise((resolve, reject) => {
      const script = document.createElement("script");
      script.src = root + "__ASSET_PATH__";
      script.onload = () => resolve(window.Plotly);
      script.onerror = () => { window.__pricewarPlotly = null; reject(new Error("cannot load " + script.src)); };
      document.head.appendChild(script);
    });
  }
  return window.__pricewarPlotly;
}

function lookup(trace, key) {
  const parts = key.split(".");
  let node = trace;
  for (const part of parts.slice(0, -1)) { node = node && node[part]; }
  return node ? [node, parts[parts.length - 1]] : [null, null];
}

function stateOf(model) {
  const uid = model.get("uid");
  if (!STATES.has(uid)) STATES.set(uid, {fig: null, plots: new Set(), frame: 0, rev: 0});
  return STATES.get(uid);
}

function schedule(state) {
  if (state.frame) return;
  state.frame = requestAnimationFrame(() => {
    state.frame = 0;
    if (!state.fig || !window.Plotly) return;
    state.rev += 1;
    state.fig.layout.datarevision = state.rev;  // arrays grew in place: tell plotly to look again
    for (const plot of state.plots) {
      window.Plotly.react(plot, state.fig.data, state.fig.layout, {responsive: true, displaylogo: false});
    }
  });
}

function extend(model, state, delta) {
  if (!state.fig || delta.revision !== state.fig.layout.uirevision) {
    model.send({resync: true});
    return;
  }
  for (const item of delta.items) {
    const trace = state.fig.data[item.i];
    const [node, leaf] = trace ? lookup(trace, item.key) : [null, null];
    const arr = node && node[leaf];
    if (!Array.isArray(arr) || arr.length !== item.from) {
      model.send({resync: true});
      return;
    }
    for (const v of item.values) arr.push(v);
  }
  schedule(state);
}

export default {
  initialize({ model }) {
    const state = stateOf(model);
    const load = () => {
      const text = model.get("figure_json");
      state.fig = text ? JSON.parse(text) : null;
      schedule(state);
    };
    load();
    model.on("change:figure_json", load);
    model.on("msg:custom", (msg) => { if (msg && msg.extend) extend(model, state, JSON.parse(msg.extend)); });
  },
  async render({ model, el }) {
    el.style.width = "100%";
    el.classList.add("pricewar-chart");
    const plot = document.createElement("div");
    plot.style.width = "100%";
    el.appendChild(plot);
    try {
      await plotlyReady();
    } catch (err) {
      el.textContent = "The chart library did not load: " + err.message;
      return;
    }
    const state = stateOf(model);
    state.plots.add(plot);
    schedule(state);
    // Follow the container's width (e.g. the sidebar opening or closing). Only a real width
    // change, debounced: reacting to every size change fights plotly's own redraws.
    let width = el.clientWidth, timer = 0;
    const resize = new ResizeObserver(() => {
      const now = el.clientWidth;
      if (!now || Math.abs(now - width) < 2) return;
      width = now;
      clearTimeout(timer);
      timer = setTimeout(() => { if (plot.data) window.Plotly.Plots.resize(plot); }, 200);
    });
    resize.observe(el);
    return () => { resize.disconnect(); clearTimeout(timer); state.plots.delete(plot); window.Plotly.purge(plot); };
  }
};
""".replace("__ASSET_PATH__", ASSET_PATH)


class PlotlyChart(anywidget.AnyWidget):
    """One chart: `figure_json` is the whole figure; growth comes as custom 'extend' messages."""

    _esm = ESM
    uid = traitlets.Unicode("").tag(sync=True)
    figure_json = traitlets.Unicode("").tag(sync=True)

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(uid=uuid.uuid4().hex, **kwargs)
        self.sent: Sent | None = None  # what the browser has, as far as Python knows
        self.on_msg(self._on_browser_msg)

    def _on_browser_msg(self, _widget: Any, content: Any, _buffers: Any) -> None:
        if isinstance(content, dict) and content.get("resync") and self.sent is not None:
            self.figure_json = ""  # force a change event even if the text is the same
            self.figure_json = to_json_plotly(self.sent.figure)


class Sent:
    """The last figure sent: its shape (all but the growing arrays) and the arrays' contents."""

    def __init__(self, figure: dict[str, Any]) -> None:
        self.figure = figure
        self.shape = shape_of(figure)
        self.arrays = [{key: value for key in DATA_KEYS if (value := _get(trace, key)) is not None}
                       for trace in figure["data"]]


def _get(trace: dict[str, Any], key: str) -> Any:
    node: Any = trace
    for part in key.split("."):
        if not isinstance(node, dict) or part not in node:
            return None
        node = node[part]
    return None if isinstance(node, str) else node


def shape_of(figure: dict[str, Any]) -> str:
    """The figure without its data arrays, as text: equal shapes allow an 'extend' update."""
    def strip(trace: dict[str, Any]) -> dict[str, Any]:
        out = dict(trace)
        for key in ("x", "y", "customdata", "text"):
            if key in out and not isinstance(out[key], str):
                out[key] = None
        marker = out.get("marker")
        if isinstance(marker, dict) and not isinstance(marker.get("color", ""), str):
            out["marker"] = {k: v for k, v in marker.items() if k != "color"}
        return out
    return json.dumps({"data": [strip(t) for t in figure["data"]], "layout": figure["layout"]},
                      sort_keys=True, default=str)


def _prefix(old: Any, new: Any) -> bool:
    """Is `old` the beginning of `new` (NaN equal to NaN)?"""
    old, new = np.asarray(old), np.asarray(new)
    if old.ndim != 1 or new.ndim != 1 or len(old) > len(new):
        return False
    head = new[: len(old)]
    if old.dtype.kind == "f" and head.dtype.kind == "f":
        return bool(np.array_equal(old, head, equal_nan=True))
    return bool(np.array_equal(old, head))


def extension(sent: Sent, figure: dict[str, Any]) -> list[dict[str, Any]] | None:
    """The points to append to go from `sent` to `figure`, or None if a whole resend is needed."""
    new = Sent(figure)
    if new.shape != sent.shape or len(new.arrays) != len(sent.arrays):
        return None
    items = []
    for i, (old_arrays, new_arrays) in enumerate(zip(sent.arrays, new.arrays)):
        if old_arrays.keys() != new_arrays.keys():
            return None
        for key, values in new_arrays.items():
            old = old_arrays[key]
            if not _prefix(old, values):
                return None
            if len(values) > len(old):
                items.append({"i": i, "key": key, "from": len(old), "values": np.asarray(values)[len(old):]})
    return items


def push(widget: PlotlyChart, figure: dict[str, Any], revision: str) -> str:
    """Bring the browser's chart to `figure`; returns 'full', 'extend' or 'same' (for tests)."""
    figure = {"data": figure["data"], "layout": {**figure["layout"], "uirevision": revision}}
    sent = widget.sent
    items = extension(sent, figure) if sent is not None else None
    widget.sent = Sent(figure)
    if items is None:
        widget.figure_json = to_json_plotly(figure)
        return "full"
    if not items:
        return "same"
    widget.send({"extend": to_json_plotly({"revision": revision, "items": items})})
    return "extend"


@functools.cache
def serve_plotly_js() -> None:
    """Let the solara server serve plotly.js from the installed plotly package (idempotent)."""
    from solara.server import settings

    location = str(PLOTLY_DIR)
    if location not in settings.assets.extra_locations:
        settings.assets.extra_locations.append(location)


@solara.component
def LivePlotly(figure: dict[str, Any], revision: str = "") -> Any:
    """Show `figure` (a plotly figure dict); a new `revision` (a Reset) resets zoom and legend."""
    serve_plotly_js()
    element = PlotlyChart.element()

    def update() -> None:
        push(solara.get_widget(element), figure, revision)

    solara.use_effect(update, [figure, revision])
    return element
