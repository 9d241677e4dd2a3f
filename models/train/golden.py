"""The parity golden files, `models/golden/parity-<version>.json`: rides, their float32
features and the ONNX outputs of the models of that version (`meta.models`: name -> sha256
of model.onnx): `predictions` (the point estimates) and, for models with a prediction
interval, `intervals` (name -> [lower, upper]).

`packages/scoring/test/parity.test.ts` rebuilds the features and predictions in
TypeScript from the `ride` of every entry and requires exact float32 feature equality and
predictions within 1e-4; for entries read from the CSV it also re-parses `csv` with the
TypeScript CSV reader and requires the same ride and outcome.
"""

from __future__ import annotations

import math
from datetime import datetime
from zoneinfo import ZoneInfo

import numpy as np

from data import ny_epoch_ms
from features import TIMEZONE

_TZ = ZoneInfo(TIMEZONE)
GOLDEN_SIZE = 400
SEED = 42


def _is_odd(ride: dict) -> bool:
    nullable = ("pickup_zone", "dropoff_zone", "pickup_borough", "dropoff_borough")
    return (
        ride["estimated_distance_miles"] == 0
        or any(ride[f] is None for f in nullable)
        or ride["payment_method"] == "UNKNOWN"
        or ride["passengers"] == 0
        or datetime.fromtimestamp(ride["pickup_time"] / 1000, _TZ).strftime("%m-%d") == "03-10"
        or "Airport" in (ride["pickup_zone"] or "") + (ride["dropoff_zone"] or "")
    )


def pick_test_rows(test_idx: np.ndarray, rides: list[dict]) -> list[int]:
    """All odd test rides first, then seeded random test rides up to GOLDEN_SIZE."""
    odd = [int(i) for i in test_idx if _is_odd(rides[i])]
    rest = [int(i) for i in test_idx if not _is_odd(rides[i])]
    rng = np.random.default_rng(SEED)
    fill = rng.permutation(rest)[: max(0, GOLDEN_SIZE - len(odd))]
    return sorted(odd + [int(i) for i in fill])


def synthetic_rides() -> list[dict]:
    """Hand-made edge cases: DST switch instants, unknown names, extremes."""
    base = {
        "pickup_zone": "Midtown Center",
        "dropoff_zone": "JFK Airport",
        "pickup_borough": "Manhattan",
        "dropoff_borough": "Queens",
        "estimated_distance_miles": 17.25,
        "passengers": 1,
        "service_color": "YELLOW",
        "payment_method": "CREDIT_CARD",
    }
    cases = [
        ("dst-last-est-second", 1552201199000, {}),  # 2019-03-10 01:59:59 EST
        ("dst-first-edt-second", 1552201200000, {}),  # 2019-03-10 03:00:00 EDT
        ("dst-gap-wallclock", ny_epoch_ms("2019-03-10 02:30:00"), {}),
        ("fall-back-ambiguous", ny_epoch_ms("2019-11-03 01:30:00"), {}),
        ("fall-back-second-pass", 1572762600000, {}),  # 2019-11-03 01:30 EST
        ("new-year-midnight", ny_epoch_ms("2020-01-01 00:00:00"), {}),
        ("unknown-names", ny_epoch_ms("2019-03-15 12:00:00"),
         {"pickup_zone": "Atlantis", "dropoff_zone": "Atlantis", "pickup_borough": "EWR",
          "dropoff_borough": "Narnia"}),
        ("all-null", ny_epoch_ms("2019-03-16 23:59:59"),
         {"pickup_zone": None, "dropoff_zone": None, "pickup_borough": None,
          "dropoff_borough": None, "payment_method": "UNKNOWN"}),
        ("zero-everything", ny_epoch_ms("2019-03-17 00:00:00"),
         {"estimated_distance_miles": 0.0, "passengers": 0, "service_color": "GREEN",
          "payment_method": "CASH"}),
        ("far-and-full", ny_epoch_ms("2019-03-18 08:15:00"),
         {"estimated_distance_miles": 199.99, "passengers": 9,
          "dropoff_zone": "Newark Airport", "dropoff_borough": "EWR"}),
        ("inexact-float32-distance", ny_epoch_ms("2019-03-19 17:45:31"),
         {"estimated_distance_miles": 0.1 + 0.2}),
    ]
    return [
        {"ride_id": f"synthetic-{name}", "event_time": t, "pickup_time": t, **base, **extra}
        for name, t, extra in cases
    ]


def time_of_day_table() -> list[list[float]]:
    """float32 sin/cos of every minute of the day, to check the TS trigonometry exhaustively."""
    table = []
    for minute in range(1440):
        angle = 2 * math.pi * minute / 1440
        table.append([float(np.float32(math.sin(angle))), float(np.float32(math.cos(angle)))])
    return table


def entry(source: str, ride: dict, features: np.ndarray, preds: dict, intervals: dict,
          **extra) -> dict:
    """One golden entry with float32 values written exactly (as their float64 value);
    `intervals` (name -> (lower, upper)) only when a model has one."""
    out = {
        "source": source,
        **extra,
        "ride": ride,
        "features": [float(v) for v in features.astype(np.float32)],
        "predictions": {k: float(np.float32(v)) for k, v in preds.items()},
    }
    if intervals:
        out["intervals"] = {k: [float(np.float32(lo)), float(np.float32(hi))]
                            for k, (lo, hi) in intervals.items()}
    return out


def merge(existing: dict, new: dict, path: str) -> dict:
    """Adds the models of `new` to a golden file of the same version written by an earlier
    run (`existing`): same rides and features required, no model in both."""
    both = sorted(set(existing["meta"]["models"]) & set(new["meta"]["models"]))
    if both:
        raise ValueError(f"{path} already holds {', '.join(both)}: a golden file is never "
                         "overwritten; train under another --version")
    old, fresh = existing["entries"], new["entries"]
    same = len(old) == len(fresh) and all(
        a["ride"] == b["ride"] and a["features"] == b["features"] for a, b in zip(old, fresh))
    if not same or existing["time_of_day_table"] != new["time_of_day_table"]:
        raise ValueError(f"{path} (an earlier run of this version) holds other rides or "
                         "features than this run would write; train under another --version")
    entries = []
    for a, b in zip(old, fresh):
        merged = {**a, "predictions": dict(sorted({**a["predictions"], **b["predictions"]}.items()))}
        intervals = {**a.get("intervals", {}), **b.get("intervals", {})}
        if intervals:
            merged["intervals"] = dict(sorted(intervals.items()))
        entries.append(merged)
    meta = {**existing["meta"], "models": dict(sorted({**existing["meta"]["models"],
                                                       **new["meta"]["models"]}.items()))}
    return {"meta": meta, "time_of_day_table": existing["time_of_day_table"], "entries": entries}
