"""Trains a new version of the fleet's duration, cost and tip models and writes it beside
the versions already there.

Run through `npm run train -- [options]` (scripts/train.mjs), or directly:
`models/train/.venv/bin/python models/train/train.py [options]`; `--help` lists the options.

Writes, for every model trained (default: all three) and its version (default: the next
major version after the highest under models/<name>/):
- models/<name>/<version>/model.onnx: one graph, input `features` [N, F] float32; outputs the
  point estimate (`variable` [N, 1]), then `lower` and `upper` [N, 1], the 80 % prediction
  interval (interval.py);
- models/<name>/<version>/model.json: its model card;
- models/golden/parity-<version>.json: the parity golden file of the models of that version
  (added to when an earlier run of the same version wrote it);
and rewrites the generated tables of models/README.md from every version's card.

It never overwrites a version folder, never edits models/manifest.json (promoting a
version to current is a separate step), and never changes models/features.json or models/data/test_rides.csv:
the spec and the test split it derives must equal the committed files byte for byte (every
version's card is bound to features.json by its sha256), else it stops with an error.
"""

from __future__ import annotations

import argparse
import csv
import io
import json
import os
import re
import sys
import time

import numpy as np

from booking import INPUTS_AT_BOOKING, noise_report, noisy_test_features
from data import load_rides, sha256_file
from export import (LOWER, UPPER, export_info, interval_onnx, json_text, onnx_outputs,
                    onnx_predict, serialize, sha256_bytes, write_compact_json, write_json)
from features import build_features, learn_spec
from golden import entry, merge, pick_test_rows, synthetic_rides, time_of_day_table
from inference_cost import select as select_lighter
from interval import NOMINAL, QUANTILES, coverage, fit_interval, method_text
from modeling import (SEED, baselines, choose_family, families, family_params,
                      fit_distance_baseline, loss_check, metrics)
from reference import reference_distributions
from report import update_readme

MODELS = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
DATA_FILE = "models/data/nyc_taxi_rides_2019-03.csv"
VERSION_PATTERN = re.compile(r"^(0|[1-9][0-9]*)\.(0|[1-9][0-9]*)\.(0|[1-9][0-9]*)$")
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


class TrainError(Exception):
    """A run that must not go on (an existing version, a changed spec): the message says
    what to do."""


def parse_version(text: str) -> tuple[int, int, int]:
    match = VERSION_PATTERN.match(text)
    if not match:
        raise ValueError(text)
    return tuple(int(g) for g in match.groups())


def versions_on_disk(name: str) -> list[str]:
    """The versions of a model under models/<name>/ (folders named major.minor.patch
    holding a model.json), oldest first."""
    folder = os.path.join(MODELS, name)
    if not os.path.isdir(folder):
        return []
    found = [v for v in os.listdir(folder)
             if VERSION_PATTERN.match(v) and os.path.isfile(os.path.join(folder, v, "model.json"))]
    return sorted(found, key=parse_version)


def next_major(name: str) -> str:
    """The next major version after the highest under models/<name>/ (1.0.0 when none)."""
    have = versions_on_disk(name)
    return f"{parse_version(have[-1])[0] + 1}.0.0" if have else "1.0.0"


def version_dir(name: str, version: str) -> str:
    return os.path.join(MODELS, name, version)


def rel(path: str) -> str:
    return os.path.relpath(path, os.path.dirname(MODELS))


def golden_path(version: str) -> str:
    return os.path.join(MODELS, "golden", f"parity-{version}.json")


def parse_args(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="npm run train --",
        description=(
            "Trains a new version of the fleet models (duration, cost, tip) and writes it "
            "beside the existing ones: models/<name>/<version>/{model.onnx,model.json} "
            "(the point estimate and its 80 % prediction interval in one ONNX graph), "
            "models/golden/parity-<version>.json and the generated tables of "
            "models/README.md. An existing version folder is never overwritten, "
            "models/manifest.json is never edited (promoting a version to current is "
            "a separate step), and models/features.json must come out unchanged."),
        epilog=("Example: npm run train -- --version 2.0.0 --models duration,cost. "
                "Training is deterministic: the same code and data give byte-identical files."),
    )
    parser.add_argument(
        "--version", metavar="X.Y.Z",
        help=("version to write (major.minor.patch), the same for every model trained; "
              "default: for each model, the next major version after the highest under "
              "models/<name>/ (e.g. 2.0.0 after 1.0.0)"))
    parser.add_argument(
        "--models", metavar="NAME[,NAME...]", default=",".join(TARGETS),
        help=f"comma-separated models to train, of {', '.join(TARGETS)} (default: all three)")
    args = parser.parse_args(argv)
    names = [n.strip() for n in args.models.split(",") if n.strip()]
    unknown = [n for n in names if n not in TARGETS]
    if unknown or not names:
        parser.error(f"--models: unknown model(s) {', '.join(unknown) or '(none given)'}; "
                     f"choose from {', '.join(TARGETS)}")
    args.models = [n for n in TARGETS if n in names]
    if args.version is not None and not VERSION_PATTERN.match(args.version):
        parser.error(f"--version {args.version!r}: expected major.minor.patch, e.g. 2.0.0")
    return args


def plan(args: argparse.Namespace) -> dict:
    """name -> version of this run; refuses versions that exist or a golden file that
    already holds one of the models."""
    versions = {n: args.version or next_major(n) for n in args.models}
    for name, version in versions.items():
        folder = version_dir(name, version)
        if os.path.exists(folder):
            raise TrainError(
                f"{rel(folder)} already exists: a trained version is never overwritten. "
                f"Train under another version (--version X.Y.Z; without --version the next "
                f"major, {next_major(name)}, is used), or delete {rel(folder)} yourself if "
                f"that version was never committed or promoted.")
    for version in sorted(set(versions.values())):
        path = golden_path(version)
        if os.path.exists(path):
            with open(path, encoding="utf-8") as handle:
                held = json.load(handle)["meta"]["models"]
            clash = sorted(n for n, v in versions.items() if v == version and n in held)
            if clash:
                raise TrainError(
                    f"{rel(path)} already holds {', '.join(clash)} {version}: a golden file is "
                    f"never overwritten. Train under another --version, or delete it yourself "
                    f"together with the version folders it was written for.")
    return versions


def train_target(name: str, version: str, ctx: dict) -> tuple[dict, bytes]:
    """Chooses, fits, exports and evaluates one target's model and its prediction interval;
    returns its card and the bytes of its model.onnx."""
    field, unit, description = TARGETS[name]
    y_tr = np.array([ctx["outcomes"][i][field] for i in ctx["train"]])
    y_te = np.array([ctx["outcomes"][i][field] for i in ctx["test"]])
    X_tr, X_te = ctx["X_train"], ctx["X_test"]
    n_features = X_tr.shape[1]
    chosen, cv = choose_family(X_tr, y_tr)
    fitted = {fam: make().fit(X_tr, y_tr) for fam, make in families().items()}
    losses = None
    if chosen == "hist_gradient_boosting":
        reference, losses = loss_check(fitted[chosen], cv[chosen], X_tr, y_tr, X_te, y_te)
        ref_cv = losses["losses"][losses["served"]]["cv_mae"]
        served, inference_cost = select_lighter(reference, ref_cv, X_tr, y_tr, X_te, y_te,
                                                name, version)
    else:
        served, inference_cost = fitted[chosen], {"note": f"{chosen}: no lighter candidates"}
    interval = fit_interval(X_tr, y_tr, X_te, name, version)
    graph = interval_onnx(served, interval["models"]["lower"], interval["models"]["upper"],
                          interval["offset"], n_features, name, version)
    data = serialize(graph)
    io_info = export_info(graph, n_features)
    outputs = onnx_outputs(data, X_te)
    point_name = io_info["output"]["name"]
    onnx_test = outputs[point_name]
    lower, upper = outputs[LOWER], outputs[UPPER]
    if not (np.all(lower <= onnx_test) and np.all(onnx_test <= upper)):
        raise AssertionError(f"{name}: the interval does not hold the point estimate")
    sk_gap = float(np.max(np.abs(onnx_test - served.predict(X_te))))
    base = baselines(X_tr, y_tr, X_te, y_te)
    test = metrics(y_te, onnx_test)
    dist_mae = base["distance_linear"]["mae"]
    dist_model = fit_distance_baseline(X_tr, y_tr)
    noisy = noise_report(
        lambda X: onnx_predict(data, X),
        lambda X: dist_model.predict(X[:, :1].astype(np.float64)),
        y_te, ctx["X_test_noisy"], test, base["distance_linear"],
    )
    reference = reference_distributions(
        [ctx["rides"][i] for i in ctx["train"]], onnx_predict(data, X_tr))
    families_report = {
        fam: {"cv_mae": cv[fam], "test": metrics(y_te, fitted[fam].predict(X_te)),
              "params": family_params(fam)}
        for fam in families()
    }
    section = interval["section"]
    raw = interval["raw_test"]
    # the served point estimate's tree walk (inference_cost measured it; a ridge has none)
    point_walk = (inference_cost["candidates"][inference_cost["served"]]["tree_walk"]
                  if "served" in inference_cost else {"decisions_per_ride": 0.0})
    section["test"] = {
        "raw_coverage": round(coverage(y_te, raw["lower"], raw["upper"]), 4),
        "calibrated_coverage_before_clamp": round(coverage(
            y_te, raw["lower"] - interval["offset"], raw["upper"] + interval["offset"]), 4),
        "coverage": round(coverage(y_te, lower, upper), 4),
        "mean_width": round(float(np.mean(upper.astype(np.float64) - lower)), 4),
        "median_width": round(float(np.median(upper.astype(np.float64) - lower)), 4),
        "below_lower": round(float(np.mean(y_te < lower)), 4),
        "above_upper": round(float(np.mean(y_te > upper)), 4),
    }
    walks = section["quantile_models"]["tree_walk"]
    section["decisions_per_ride"] = {
        "point": point_walk["decisions_per_ride"],
        "lower": walks["lower"]["decisions_per_ride"],
        "upper": walks["upper"]["decisions_per_ride"],
        "model_onnx": round(point_walk["decisions_per_ride"] + walks["lower"]["decisions_per_ride"]
                            + walks["upper"]["decisions_per_ride"], 1),
    }
    card = {
        "name": name,
        "version": version,
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
            "interval": {
                "nominal": NOMINAL,
                "test_coverage": section["test"]["coverage"],
                "test_mean_width": section["test"]["mean_width"],
                "method": method_text(section, unit),
            },
        },
        "family": {"chosen": chosen, "selection": "lowest 5-fold CV MAE on the training split",
                   "candidates": families_report},
        "inference_cost": inference_cost,
        "interval": section,
        "reference": reference,
        "onnx": {
            "file": "model.onnx",
            **io_info,
            "interval": {"lower": {"name": LOWER, "quantile": QUANTILES[0]},
                         "upper": {"name": UPPER, "quantile": QUANTILES[1]}},
        },
        "sha256": sha256_bytes(data),
    }
    if losses is not None:
        card["loss_check"] = losses
    return card, data


def golden(ctx: dict, names: list[str]) -> dict:
    """The parity golden file of the models of one version trained in this run."""
    rows = pick_test_rows(ctx["test"], ctx["rides"])
    rides = [ctx["rides"][i] for i in rows] + synthetic_rides()
    X = build_features(ctx["spec"], rides)
    outs = {n: onnx_outputs(ctx["onnx"][n], X) for n in names}
    points = {n: ctx["cards"][n]["onnx"]["output"]["name"] for n in names}
    entries = []
    for k, ride in enumerate(rides):
        p = {n: outs[n][points[n]][k] for n in names}
        iv = {n: (outs[n][LOWER][k], outs[n][UPPER][k]) for n in names
              if "interval" in ctx["cards"][n]["onnx"]}
        if k < len(rows):
            i = rows[k]
            entries.append(entry("test", ride, X[k], p, iv, row_number=i + 1,
                                 csv=ctx["records"][i], outcome=ctx["outcomes"][i]))
        else:
            entries.append(entry("synthetic", ride, X[k], p, iv))
    return {
        "meta": {"data_file": DATA_FILE, "feature_names": len(ctx["spec"]["names"]),
                 "models": {n: ctx["cards"][n]["sha256"] for n in names}},
        "time_of_day_table": time_of_day_table(),
        "entries": entries,
    }


def test_split_csv(records: list[dict], test: np.ndarray) -> str:
    """The test split in the dataset's CSV format: real rides the models never saw,
    replayed by the demo and the end-to-end tests (models/data/test_rides.csv)."""
    handle = io.StringIO(newline="")
    writer = csv.DictWriter(handle, fieldnames=list(records[0].keys()), lineterminator="\n")
    writer.writeheader()
    writer.writerows(records[i] for i in test)
    return handle.getvalue()


def derived_file(path: str, text: str, what: str) -> None:
    """Writes a derived file when missing; refuses to change it when it exists."""
    if not os.path.exists(path):
        with open(path, "w", encoding="utf-8", newline="") as handle:
            handle.write(text)
        print(f"wrote {rel(path)}")
        return
    with open(path, encoding="utf-8", newline="") as handle:
        if handle.read() == text:
            return
    raise TrainError(
        f"{rel(path)} would change ({what}): every version's card is bound to the committed "
        f"file, so training refuses to rewrite it. Restore it (git checkout -- {rel(path)}). "
        f"If the data or the feature code changed on purpose, the existing versions no longer "
        f"match it: that needs a deliberate migration of every version, not a training run "
        f"that adds one.")


def all_cards() -> dict:
    """name -> {version: card} of every version on disk."""
    out = {}
    for name in TARGETS:
        out[name] = {}
        for version in versions_on_disk(name):
            with open(os.path.join(version_dir(name, version), "model.json"), encoding="utf-8") as h:
                out[name][version] = json.load(h)
    return out


def main(argv: list[str]) -> int:
    args = parse_args(argv)
    started = time.perf_counter()
    try:
        versions = plan(args)
    except TrainError as err:
        print(f"train: {err}", file=sys.stderr)
        return 2
    print("train: " + ", ".join(f"{n} {v}" for n, v in versions.items()), flush=True)
    data_path = os.path.join(os.path.dirname(MODELS), DATA_FILE)
    records, rides, outcomes = load_rides(data_path)
    train_all, test = split(len(rides))
    train = clean(train_all, rides, outcomes)
    data_sha = sha256_file(data_path)
    spec = learn_spec([rides[i] for i in train], DATA_FILE, data_sha)
    spec_path = os.path.join(MODELS, "features.json")
    try:
        derived_file(spec_path, json_text(spec),
                     "the feature spec learned on this training split differs")
        derived_file(os.path.join(MODELS, "data", "test_rides.csv"), test_split_csv(records, test),
                     "the test split differs")
    except TrainError as err:
        print(f"train: {err}", file=sys.stderr)
        return 2
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
        "cards": {}, "onnx": {},
    }
    for name, version in versions.items():
        card, data = train_target(name, version, ctx)
        ctx["cards"][name], ctx["onnx"][name] = card, data
        m = card["metrics"]
        noisy = m["test_distance_noise_15pct"]
        print(f"{name} {version}: {card['family']['chosen']} test MAE {m['test']['mae']} "
              f"({m['mae_reduction_vs_distance_baseline']:.1%} below distance baseline); "
              f"with ±15 % distance error {noisy['served']['mae']} "
              f"(baseline {noisy['distance_linear']['mae']})")
        if "loss_check" in card:
            lc = card["loss_check"]
            print(f"{name} {version}: loss check " + ", ".join(
                f"{loss} test MAE {r['test_mae']} CV MAE {r['cv_mae']}"
                for loss, r in lc["losses"].items()) + f"; serves {lc['served']}")
        cost = card["inference_cost"]
        if "served" in cost:
            walk = cost["candidates"][cost["served"]]["tree_walk"]
            print(f"{name} {version}: serves {cost['served']} of {len(cost['candidates'])} "
                  f"candidates, {walk['decisions_per_ride']} decision nodes per ride "
                  f"({cost['served_vs_reference']['decisions_per_ride']:.2f} x the reference "
                  f"{cost['reference']})")
        iv = card["interval"]
        print(f"{name} {version}: {NOMINAL:.0%} interval test coverage "
              f"{iv['test']['coverage']:.2%} (raw quantile models {iv['test']['raw_coverage']:.2%}), "
              f"mean width {iv['test']['mean_width']} {card['target']['unit']}, calibration offset "
              f"{iv['calibration']['offset']}; model.onnx "
              f"{iv['decisions_per_ride']['model_onnx']} decision nodes per ride", flush=True)
    goldens = {}
    for version in sorted(set(versions.values())):
        names = [n for n, v in versions.items() if v == version]
        path = golden_path(version)
        value = golden(ctx, names)
        if os.path.exists(path):
            with open(path, encoding="utf-8") as handle:
                try:
                    value = merge(json.load(handle), value, rel(path))
                except ValueError as err:
                    print(f"train: {err}", file=sys.stderr)
                    return 2
        goldens[path] = value
    for name, version in versions.items():
        folder = version_dir(name, version)
        os.makedirs(folder, exist_ok=False)
        with open(os.path.join(folder, "model.onnx"), "wb") as handle:
            handle.write(ctx["onnx"][name])
        write_json(os.path.join(folder, "model.json"), ctx["cards"][name])
        print(f"wrote {rel(folder)}/model.onnx and model.json")
    os.makedirs(os.path.join(MODELS, "golden"), exist_ok=True)
    for path, value in goldens.items():
        write_compact_json(path, value)
        print(f"wrote {rel(path)}")
    update_readme(os.path.join(MODELS, "README.md"), all_cards())
    print(f"train: done in {time.perf_counter() - started:.0f} s; models/manifest.json is "
          f"unchanged (promoting a version to current is a separate step)")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
