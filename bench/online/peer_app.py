"""The online service as the deployment note writes a web service: Flask under gunicorn.

The bench's peer of `packages/online` (POST /v1/quote only): the same ONNX models with
onnxruntime, the project's own Python feature code (models/train/features.py with
models/features.json, the code the models were trained with) and the decision rules of
packages/decision/src/rules.ts (the point quotes, and the fare and trip-time ranges of model
versions with a prediction interval). One process per gunicorn worker, each with its own sessions:

    models/train/.venv/bin/gunicorn --workers 2 --bind 127.0.0.1:8090 \
        --chdir bench/online peer_app:app

The bench checks that its quotes equal the online service's before it measures either.
"""

from __future__ import annotations

import json
import math
import os
import sys
import time
import uuid
from pathlib import Path

import onnxruntime as ort
from flask import Flask, jsonify, request

REPO_ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO_ROOT / "models" / "train"))
from features import build_features  # noqa: E402  (the project's feature code, defined once)

MODELS = REPO_ROOT / "models"
MODEL_NAMES = ("duration", "cost", "tip")
SPEC = json.loads((MODELS / "features.json").read_text())
OPTIONAL = {
    "pickup_zone": None,
    "dropoff_zone": None,
    "pickup_borough": None,
    "dropoff_borough": None,
    "payment_method": "UNKNOWN",
}


def load(name: str) -> tuple[dict, ort.InferenceSession]:
    manifest = json.loads((MODELS / "manifest.json").read_text())
    folder = MODELS / name / manifest[name]["current"]  # the version the fleet serves
    card = json.loads((folder / "model.json").read_text())
    options = ort.SessionOptions()
    options.intra_op_num_threads = 1
    options.inter_op_num_threads = 1
    session = ort.InferenceSession(str(folder / card["onnx"]["file"]), options, providers=["CPUExecutionProvider"])
    return card, session


def outputs_of(card: dict) -> list[str]:
    """The outputs read per call: the point estimate (card.onnx.output) first, then the
    bounds of its prediction interval when the version has one (card.onnx.interval)."""
    interval = card["onnx"].get("interval")
    names = [card["onnx"]["output"]["name"]]
    return names + [interval["lower"]["name"], interval["upper"]["name"]] if interval else names


SESSIONS = {name: load(name) for name in MODEL_NAMES}
VERSIONS = {name: card["version"] for name, (card, _) in SESSIONS.items()}
OUTPUTS = {name: outputs_of(card) for name, (card, _) in SESSIONS.items()}


def decide(duration: float, cost: float, tip: float) -> dict:
    """packages/decision/src/rules.ts: fare, ETA and dispatch priority."""
    per_minute = (cost + max(0.0, tip)) / max(duration, 1.0)
    priority = "HIGH" if per_minute >= 2.5 else "LOW" if per_minute < 1.2 else "NORMAL"
    return {
        "fare_quote_usd": max(2.5, math.ceil(cost * 2) / 2),
        "eta_minutes": max(1, math.ceil(duration)),
        "priority": priority,
    }


def quoted_ranges(duration: tuple[float, float] | None, cost: tuple[float, float] | None) -> dict:
    """packages/decision/src/rules.ts quotedRanges: the fare and trip-time ranges, rounded
    outwards (null for model versions without an interval)."""
    return {
        "fare_low_usd": max(2.5, math.floor(cost[0] * 2) / 2) if cost else None,
        "fare_high_usd": max(2.5, math.ceil(cost[1] * 2) / 2) if cost else None,
        "eta_low_minutes": max(1, math.floor(duration[0])) if duration else None,
        "eta_high_minutes": max(1, math.ceil(duration[1])) if duration else None,
    }


def ride_of(body: dict, now: int) -> dict:
    ride = {**OPTIONAL, **body}
    ride.setdefault("ride_id", f"quote-{uuid.uuid4()}")
    ride.setdefault("pickup_time", now)
    return ride


app = Flask(__name__)


@app.post("/v1/quote")
def quote():
    body = request.get_json()
    now = int(time.time() * 1000)
    listed = "rides" in body
    rides = [ride_of(r, now) for r in (body["rides"] if listed else [body])]
    features = build_features(SPEC, rides)
    values, ranges = {}, {}
    for name, (card, session) in SESSIONS.items():
        outputs = [v.reshape(-1) for v in session.run(OUTPUTS[name], {card["onnx"]["input"]["name"]: features})]
        values[name] = outputs[0]  # the point estimate (card.onnx.output)
        ranges[name] = (outputs[1], outputs[2]) if len(outputs) == 3 else None
    quotes = []
    for i, ride in enumerate(rides):
        duration, cost, tip = (float(values[m][i]) for m in MODEL_NAMES)
        duration_range, cost_range = (
            (float(ranges[m][0][i]), float(ranges[m][1][i])) if ranges[m] else None for m in ("duration", "cost")
        )
        quotes.append(
            {
                "ride_id": ride["ride_id"],
                "duration_min": duration,
                "cost_usd": cost,
                "tip_usd": tip,
                **decide(duration, cost, tip),
                "model_versions": VERSIONS,
                "quoted_at": now,
                **quoted_ranges(duration_range, cost_range),
            }
        )
    return jsonify({"quotes": quotes} if listed else quotes[0])


@app.get("/readyz")
def ready():
    # The pid of gunicorn's master (a worker's parent), the process the bench started and
    # waits for, as every fleet process names its own pid here.
    return jsonify({"ready": True, "pid": os.getppid()})
