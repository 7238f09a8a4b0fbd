"""Shared test setup (none needed yet beyond pytest's defaults)."""
