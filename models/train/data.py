"""Reads the rides CSV (`models/data/`) into `ride_started`-shaped rides and outcomes.

Mirrors `packages/contract/src/rides-csv.ts`: the CSV's timestamps are naive New York wall
clock times; they become epoch milliseconds as New York time (fold=0: a time that the
spring-forward gap skips takes the offset in force before the switch, an ambiguous
fall-back time the first of its two instants).
"""

from __future__ import annotations

import csv
import hashlib
from datetime import datetime
from zoneinfo import ZoneInfo

_TZ = ZoneInfo("America/New_York")
_COLORS = {"yellow": "YELLOW", "green": "GREEN"}
_PAYMENTS = {"credit card": "CREDIT_CARD", "cash": "CASH", "": "UNKNOWN"}


def sha256_file(path: str) -> str:
    """Hex sha256 of a file's bytes."""
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for chunk in iter(lambda: handle.read(1 << 16), b""):
            digest.update(chunk)
    return digest.hexdigest()


def ny_epoch_ms(text: str) -> int:
    """Epoch ms of a naive `YYYY-MM-DD HH:MM:SS` New York wall-clock time."""
    naive = datetime.strptime(text.strip(), "%Y-%m-%d %H:%M:%S")
    return int(naive.replace(tzinfo=_TZ).timestamp()) * 1000


def _nullable(text: str) -> str | None:
    text = text.strip()
    return text if text else None


def ride_from_record(record: dict, row_number: int) -> dict:
    """The `ride_started` event of one CSV record (row_number: 1-based data row)."""
    pickup = ny_epoch_ms(record["pickup"])
    return {
        "ride_id": f"row-{row_number}",
        "event_time": pickup,
        "pickup_time": pickup,
        "pickup_zone": _nullable(record["pickup_zone"]),
        "dropoff_zone": _nullable(record["dropoff_zone"]),
        "pickup_borough": _nullable(record["pickup_borough"]),
        "dropoff_borough": _nullable(record["dropoff_borough"]),
        "estimated_distance_miles": float(record["distance"]),
        "passengers": int(record["passengers"]),
        "service_color": _COLORS[record["color"].strip().lower()],
        "payment_method": _PAYMENTS[record["payment"].strip().lower()],
    }


def outcome_from_record(record: dict) -> dict:
    """The actual outcomes of one CSV record: the three targets."""
    duration_ms = ny_epoch_ms(record["dropoff"]) - ny_epoch_ms(record["pickup"])
    tip = float(record["tip"])
    return {
        "duration_min": duration_ms / 60_000,
        "cost_usd": round(float(record["total"]) - tip, 2),
        "tip_usd": tip,
    }


def load_rides(path: str) -> tuple[list[dict], list[dict], list[dict]]:
    """(raw records, rides, outcomes) of every row of the CSV, in file order."""
    with open(path, newline="", encoding="utf-8") as handle:
        records = list(csv.DictReader(handle))
    rides = [ride_from_record(r, i + 1) for i, r in enumerate(records)]
    outcomes = [outcome_from_record(r) for r in records]
    return records, rides, outcomes
