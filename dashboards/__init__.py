"""Browser dashboards (Mesa SolaraViz) for pricewar; see the dashboard issue."""
