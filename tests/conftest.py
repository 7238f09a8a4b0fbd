"""Shared test setup.

`market` is imported first on purpose: importing `agents.strategies` (or `agents.firm`) in a
fresh interpreter currently fails with a circular import (agents.strategies.base -> market.schema
-> market/__init__ -> market.model -> agents.firm -> agents.strategies). The bug itself is pinned
by an xfail test in tests/test_strategies.py; this import keeps the other tests runnable.
"""

import market  # noqa: F401
