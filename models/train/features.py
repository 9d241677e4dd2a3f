"""Feature engineering of the fleet models, defined once here for training.

The serving side re-implements exactly this in TypeScript
(`packages/contract/src/features/`) and reads the same spec (`models/features.json`) for the
vocabularies; `models/golden/parity-<version>.json` and the parity test prove both agree.

Every feature is computed from a ride in the shape of the `ride_started` event
(`packages/contract/src/records.ts`): epoch-millisecond pickup time, nullable zone and
borough names, estimated distance, passengers, service colour and payment method.
Nothing known only after the ride (fare, tip, tolls, total, dropoff time) is used.
"""

from __future__ import annotations

import math
from collections import Counter
from datetime import datetime, timezone
from zoneinfo import ZoneInfo

import numpy as np

SPEC_VERSION = 1
TIMEZONE = "America/New_York"
OTHER = "__other__"
# Zones whose rides carry airport fees and flat fares; not learned, part of the contract.
AIRPORT_ZONES = ["JFK Airport", "LaGuardia Airport", "Newark Airport"]
# A zone gets its own one-hot column when it appears at least this often in training.
MIN_ZONE_COUNT = 15
CATEGORICALS = ["pickup_borough", "dropoff_borough", "pickup_zone", "dropoff_zone"]
PAYMENTS = ["CREDIT_CARD", "CASH", "UNKNOWN"]
BASE_NAMES = [
    "distance_miles",
    "passengers",
    "pickup_hour",
    "pickup_minute_of_day",
    "pickup_weekday",
    "is_weekend",
    "time_of_day_sin",
    "time_of_day_cos",
    "is_green",
    "pay_credit_card",
    "pay_cash",
    "pay_unknown",
    "card_distance_miles",
    "same_zone",
    "pickup_airport",
    "dropoff_airport",
] + [f"hour_{h:02d}" for h in range(24)]

_TZ = ZoneInfo(TIMEZONE)
MS_PER_MINUTE = 60_000
MS_PER_DAY = 86_400_000


def learn_spec(train_rides: list[dict], data_file: str, data_sha256: str) -> dict:
    """Learns the vocabularies on the training split and returns the feature spec."""
    vocabularies = {}
    for field in CATEGORICALS:
        counts = Counter(r[field] for r in train_rides if r[field] is not None)
        min_count = MIN_ZONE_COUNT if field.endswith("zone") else 1
        vocabularies[field] = sorted(v for v, n in counts.items() if n >= min_count)
    names = list(BASE_NAMES)
    for field in CATEGORICALS:
        names += [f"{field}={v}" for v in vocabularies[field]] + [f"{field}={OTHER}"]
    return {
        "spec_version": SPEC_VERSION,
        "timezone": TIMEZONE,
        "other_bucket": OTHER,
        "airport_zones": AIRPORT_ZONES,
        "min_zone_count": MIN_ZONE_COUNT,
        "vocabularies": vocabularies,
        "names": names,
        "learned_from": {"file": data_file, "sha256": data_sha256, "split": "train"},
    }


def ny_offset_ms(epoch_ms: int) -> int:
    """UTC offset of New York at an instant, in milliseconds (EST -5 h, EDT -4 h)."""
    when = datetime.fromtimestamp(epoch_ms / 1000, tz=timezone.utc).astimezone(_TZ)
    return int(when.utcoffset().total_seconds()) * 1000


def local_clock(epoch_ms: int) -> tuple[int, int, int]:
    """(hour, minute of day, weekday Monday=0) of the New York wall clock at an instant."""
    local_ms = epoch_ms + ny_offset_ms(epoch_ms)
    minute_of_day = (local_ms // MS_PER_MINUTE) % 1440
    days = local_ms // MS_PER_DAY
    weekday = (days + 3) % 7  # 1970-01-01 was a Thursday
    return minute_of_day // 60, minute_of_day, weekday


def _base_row(ride: dict, airports: set[str]) -> list[float]:
    hour, minute_of_day, weekday = local_clock(ride["pickup_time"])
    angle = 2 * math.pi * minute_of_day / 1440
    distance = float(ride["estimated_distance_miles"])
    card = ride["payment_method"] == "CREDIT_CARD"
    pz, dz = ride["pickup_zone"], ride["dropoff_zone"]
    row = [
        distance,
        float(ride["passengers"]),
        float(hour),
        float(minute_of_day),
        float(weekday),
        1.0 if weekday >= 5 else 0.0,
        math.sin(angle),
        math.cos(angle),
        1.0 if ride["service_color"] == "GREEN" else 0.0,
    ]
    row += [1.0 if ride["payment_method"] == p else 0.0 for p in PAYMENTS]
    row += [
        distance if card else 0.0,
        1.0 if pz is not None and pz == dz else 0.0,
        1.0 if pz in airports else 0.0,
        1.0 if dz in airports else 0.0,
    ]
    row += [1.0 if h == hour else 0.0 for h in range(24)]
    return row


def build_features(spec: dict, rides: list[dict]) -> np.ndarray:
    """Row-major float32 matrix [len(rides), len(spec['names'])] of the rides' features."""
    names = spec["names"]
    out = np.zeros((len(rides), len(names)), dtype=np.float32)
    airports = set(spec["airport_zones"])
    offsets, index = [], len(BASE_NAMES)
    for field in CATEGORICALS:
        vocab = spec["vocabularies"][field]
        offsets.append((field, index, {v: i for i, v in enumerate(vocab)}, len(vocab)))
        index += len(vocab) + 1
    assert index == len(names), "spec names do not match the feature layout"
    for i, ride in enumerate(rides):
        out[i, : len(BASE_NAMES)] = np.array(_base_row(ride, airports), dtype=np.float64)
        for field, start, lookup, other in offsets:
            out[i, start + lookup.get(ride[field], other)] = 1.0
    return out
