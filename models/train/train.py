"""Trains the fleet's duration, cost and tip models and writes every artifact.

Run through `npm run train` (scripts/train.mjs), or directly:
`models/train/.venv/bin/python models/train/train.py`.

Writes models/features.json, models/{duration,cost,tip}/{model.onnx,model.json},
models/golden/parity.json, models/data/test_rides.csv (the test split) and the
generated tables of models/README.md (metrics; clean vs noisy-distance MAE; inference cost).
"""

from __future__ import annotations

import csv
import os
import sys

import numpy as np

from booking import INPUTS_AT_BOOKING, noise_report, noisy_test_features
from data import load_rides, sha256_file
from export import export_onnx, onnx_predict, write_compact_json, write_json
from features import build_features, learn_spec
from inference_cost import select as select_lighter
from golden import entry, pick_test_rows, synthetic_rides, time_of_day_table
from modeling import (SEED, baselines, choose_family, families, family_params,
                      fit_distance_baseline, metrics)
from reference import reference_distributions
from report import update_readme

MODELS = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
DATA_FILE = "models/data/nyc_taxi_rides_2019-03.csv"
VERSION = "1.0.0"
TEST_FRACTION = 0.2
MAX_TRAIN_MINUTES = 180
MAX_TRAIN_MPH = 80
TARGETS = {
    "duration": ("duration_min", "minutes", "minutes from pickup to dropoff"),
    "cost": ("cost_usd", "USD", "what the rider is charged before tip: total - tip"),
    "tip": ("tip_usd", "USD", "tip; recorded for card payments only (cash tips read 0)"),
}
CLEANING = (
    f"training split only: drop rides with duration <= 0 or > {MAX_TRAIN_MINUTES} min, "
    f"or an implied speed above {MAX_TRAIN_MPH} mph; the test split is scored as is"
)


def split(n: int) -> tuple[np.ndarray, np.ndarray]:
    """Seeded random split: a permutation with SEED, its first 20 % is the test split."""
    perm = np.random.default_rng(SEED).permutation(n)
    n_test = int(round(n * TEST_FRACTION))
    return np.sort(perm[n_test:]), np.sort(perm[:n_test])


def clean(train_idx: np.ndarray, rides: list, outcomes: list) -> np.ndarray:
    """The training rows that are not obviously broken (see CLEANING)."""
    keep = []
    for i in train_idx:
        minutes = outcomes[i]["duration_min"]
        miles = rides[i]["estimated_distance_miles"]
        ok = 0 < minutes <= MAX_TRAIN_MINUTES and miles / (minutes / 60) <= MAX_TRAIN_MPH
        if ok:
            keep.append(i)
    return np.array(keep)


def train_target(name: str, ctx: dict) -> dict:
    """Chooses, fits, exports and evaluates one target's model; returns its card."""
    field, unit, description = TARGETS[name]
    y_tr = np.array([ctx["outcomes"][i][field] for i in ctx["train"]])
    y_te = np.array([ctx["outcomes"][i][field] for i in ctx["test"]])
    X_tr, X_te = ctx["X_train"], ctx["X_test"]
    chosen, cv = choose_family(X_tr, y_tr)
    fitted = {fam: make().fit(X_tr, y_tr) for fam, make in families().items()}
    if chosen == "hist_gradient_boosting":
        served, inference_cost = select_lighter(fitted[chosen], cv[chosen], X_tr, y_tr, X_te,
                                                y_te, name, VERSION)
    else:
        served, inference_cost = fitted[chosen], {"note": f"{chosen}: no lighter candidates"}
    out_dir = os.path.join(MODELS, name)
    os.makedirs(out_dir, exist_ok=True)
    onnx_path = os.path.join(out_dir, "model.onnx")
    io = export_onnx(served, X_tr.shape[1], name, VERSION, onnx_path)
    onnx_test = onnx_predict(onnx_path, X_te)
    sk_gap = float(np.max(np.abs(onnx_test - served.predict(X_te))))
    base = baselines(X_tr, y_tr, X_te, y_te)
    test = metrics(y_te, onnx_test)
    dist_mae = base["distance_linear"]["mae"]
    dist_model = fit_distance_baseline(X_tr, y_tr)
    noisy = noise_report(
        lambda X: onnx_predict(onnx_path, X),
        lambda X: dist_model.predict(X[:, :1].astype(np.float64)),
        y_te, ctx["X_test_noisy"], test, base["distance_linear"],
    )
    reference = reference_distributions(
        [ctx["rides"][i] for i in ctx["train"]], onnx_predict(onnx_path, X_tr))
    families_report = {
        fam: {"cv_mae": cv[fam], "test": metrics(y_te, fitted[fam].predict(X_te)),
              "params": family_params(fam)}
        for fam in families()
    }
    return {
        "name": name,
        "version": VERSION,
        "target": {"name": field, "unit": unit, "description": description},
        "features": ctx["spec"]["names"],
        "inputs_at_booking": INPUTS_AT_BOOKING,
        "feature_spec": {"file": "models/features.json", "sha256": ctx["spec_sha256"]},
        "training_data": {**ctx["data"], "cleaning": CLEANING},
        "split": ctx["split"],
        "metrics": {
            "test": test,
            "baselines": base,
            "mae_reduction_vs_distance_baseline": round(1 - test["mae"] / dist_mae, 4),
            "onnx_vs_sklearn_max_abs_diff": round(sk_gap, 6),
            "test_distance_noise_15pct": noisy,
        },
        "family": {"chosen": chosen, "selection": "lowest 5-fold CV MAE on the training split",
                   "candidates": families_report},
        "inference_cost": inference_cost,
        "reference": reference,
        "onnx": {"file": "model.onnx", **{k: v for k, v in io.items() if k != "sha256"}},
        "sha256": io["sha256"],
    }


def write_golden(ctx: dict) -> None:
    """Writes models/golden/parity.json from test rides and synthetic edge cases."""
    rows = pick_test_rows(ctx["test"], ctx["rides"])
    rides = [ctx["rides"][i] for i in rows] + synthetic_rides()
    X = build_features(ctx["spec"], rides)
    preds = {n: onnx_predict(os.path.join(MODELS, n, "model.onnx"), X) for n in TARGETS}
    entries = []
    for k, ride in enumerate(rides):
        p = {n: preds[n][k] for n in TARGETS}
        if k < len(rows):
            i = rows[k]
            entries.append(entry("test", ride, X[k], p, row_number=i + 1,
                                 csv=ctx["records"][i], outcome=ctx["outcomes"][i]))
        else:
            entries.append(entry("synthetic", ride, X[k], p))
    write_compact_json(os.path.join(MODELS, "golden", "parity.json"), {
        "meta": {"data_file": DATA_FILE, "feature_names": len(ctx["spec"]["names"]),
                 "models": {n: ctx["cards"][n]["sha256"] for n in TARGETS}},
        "time_of_day_table": time_of_day_table(),
        "entries": entries,
    })


def write_test_split(path: str, records: list[dict], test: np.ndarray) -> None:
    """Writes the test split in the dataset's CSV format: real rides the models never saw,
    replayed by the demo and the end-to-end tests."""
    with open(path, "w", newline="", encoding="utf-8") as handle:
        writer = csv.DictWriter(handle, fieldnames=list(records[0].keys()), lineterminator="\n")
        writer.writeheader()
        writer.writerows(records[i] for i in test)


def main() -> int:
    data_path = os.path.join(os.path.dirname(MODELS), DATA_FILE)
    records, rides, outcomes = load_rides(data_path)
    train_all, test = split(len(rides))
    train = clean(train_all, rides, outcomes)
    data_sha = sha256_file(data_path)
    spec = learn_spec([rides[i] for i in train], DATA_FILE, data_sha)
    spec_path = os.path.join(MODELS, "features.json")
    write_json(spec_path, spec)
    ctx = {
        "records": records, "rides": rides, "outcomes": outcomes, "train": train,
        "test": test, "spec": spec, "spec_sha256": sha256_file(spec_path),
        "X_train": build_features(spec, [rides[i] for i in train]),
        "X_test": build_features(spec, [rides[i] for i in test]),
        "X_test_noisy": noisy_test_features(spec, [rides[i] for i in test]),
        "data": {"file": DATA_FILE, "sha256": data_sha, "rows": len(rides),
                 "train_rows": len(train_all), "train_rows_after_cleaning": len(train),
                 "test_rows": len(test)},
        "split": {"method": "numpy default_rng(seed).permutation; first 20 % = test",
                  "seed": SEED, "test_fraction": TEST_FRACTION},
    }
    ctx["cards"] = {}
    for name in TARGETS:
        card = train_target(name, ctx)
        write_json(os.path.join(MODELS, name, "model.json"), card)
        ctx["cards"][name] = card
        m = card["metrics"]
        noisy = m["test_distance_noise_15pct"]
        print(f"{name}: {card['family']['chosen']} test MAE {m['test']['mae']} "
              f"({m['mae_reduction_vs_distance_baseline']:.1%} below distance baseline); "
              f"with ±15 % distance error {noisy['served']['mae']} "
              f"(baseline {noisy['distance_linear']['mae']})")
        cost = card["inference_cost"]
        if "served" in cost:
            walk = cost["candidates"][cost["served"]]["tree_walk"]
            print(f"{name}: serves {cost['served']} of {len(cost['candidates'])} candidates, "
                  f"{walk['decisions_per_ride']} decision nodes per ride "
                  f"({cost['served_vs_reference']['decisions_per_ride']:.2f} x the reference "
                  f"{cost['reference']})")
    os.makedirs(os.path.join(MODELS, "golden"), exist_ok=True)
    write_golden(ctx)
    write_test_split(os.path.join(os.path.dirname(MODELS), "models", "data", "test_rides.csv"), records, test)
    update_readme(os.path.join(MODELS, "README.md"), ctx["cards"])
    return 0


if __name__ == "__main__":
    sys.exit(main())
