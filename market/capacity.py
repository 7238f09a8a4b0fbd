"""Serving capacity: split between API and free app use; overload is lost tokens and "server busy".

Each firm reserves `api_capacity_share` of its daily tokens for the API and the rest for its
app; spare capacity on either side serves the other. What cannot be served is lost today and
shows up tomorrow as congestion, a quality penalty in both consumers' and buyers' choice.
"""

from __future__ import annotations

import numpy as np

MAX_CONGESTION = 5.0


def serve(capacity: np.ndarray, api_share: np.ndarray, api_demand: np.ndarray,
          app_demand: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Tokens served (api, app) and overload (api, app) per firm, all arrays of shape (F,)."""
    api_res = capacity * api_share
    app_res = capacity - api_res
    api_ok = np.minimum(api_demand, api_res)
    app_ok = np.minimum(app_demand, app_res)
    spare = capacity - api_ok - app_ok
    api_extra = np.minimum(api_demand - api_ok, spare)
    app_extra = np.minimum(app_demand - app_ok, spare - api_extra)
    api_served = api_ok + api_extra
    app_served = app_ok + app_extra
    return (api_served, app_served, overload(api_demand, api_served), overload(app_demand, app_served))


def overload(demand: np.ndarray, served: np.ndarray) -> np.ndarray:
    """Demand beyond what was served, relative to it (0 when all served), bounded."""
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        ratio = np.where(served > 0, demand / np.where(served > 0, served, 1.0) - 1.0,
                         np.where(demand > 0, MAX_CONGESTION, 0.0))
    return np.clip(ratio, 0.0, MAX_CONGESTION)
