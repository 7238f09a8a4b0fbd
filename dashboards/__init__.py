"""Browser dashboard (Mesa SolaraViz) for pricewar: `pricewar viz`, or `solara run dashboards.app`.

Modules: settings (controls -> `--set` overrides), live_model (the model a tab drives),
trajectory (the run as arrays), figures / network_view / baseline (what the charts show),
plotly_live (the chart widget), controls / views / app (the page), teaching (notes), cli.
"""

import warnings

# Importing mesa.visualization trips solara's hook linter on mesa's ComponentsView (an early
# return before use_state). The dashboard passes SolaraViz no components, so it is harmless here.
warnings.filterwarnings("ignore", message=r".*ComponentsView: `use_state` found despite early return")
