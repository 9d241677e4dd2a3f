"""Inference cost: lighter variants of the chosen tree ensemble, and the rule that serves one.

The reference is the ensemble the family choice picked (`modeling.families()`: 400 trees of
up to 31 leaves, learning rate 0.05). The candidates are the same estimator with fewer
and/or smaller trees (CANDIDATE_TREES x CANDIDATE_LEAVES); fewer trees take larger steps,
learning rate 0.05 * sqrt(400 / trees). Every other hyper-parameter is the reference's.

What a ride costs is measured in onnxruntime, but timings vary from run to run and this
pipeline is byte-reproducible, so the choice and the card use a deterministic proxy read
from the exported model itself: the decision nodes onnxruntime's tree walk evaluates per
ride (each tree walked from its root to a leaf, summed over the trees), averaged over the
test rides. The microseconds per ride of the served models are measured by the bench
(`npm run bench`, stage `inference`, onnxruntime-node) into bench/results/latest.json;
FLEET_TRAIN_TIMING=1 makes this pipeline print Python onnxruntime timings of every
candidate as well (stdout only, never into a file).

The rule (RULE): a candidate qualifies when its test MAE (onnxruntime on the exported file)
is at most 1 % above the reference's and its 5-fold cross-validated MAE on the training
split is at most 1 % above the reference's (the cross-validation guards the choice against
a candidate that matches the reference on the test split by luck: many candidates are
compared on the same 1,087 rides). The served model is the qualifying candidate with the
fewest decision nodes per ride (ties: fewer nodes in all, then the name). The reference
qualifies by definition, so it stays when no lighter candidate does. Cross-validation is
run only where it can change the outcome: in order of cost, for the candidates within the
test bound, until one qualifies.
"""

from __future__ import annotations

import os
import sys
import time

import numpy as np
import onnx
import onnxruntime as ort
from onnx import helper
from sklearn.base import clone

from export import INPUT_NAME, onnx_bytes
from modeling import cross_val_mae, metrics

CANDIDATE_TREES = (50, 100, 150, 200, 300, 400)
CANDIDATE_LEAVES = (7, 15, 31)
REFERENCE_TREES = 400
REFERENCE_LEARNING_RATE = 0.05
MAX_MAE_INCREASE = 0.01
RULE = (
    "qualifies: test MAE <= 1.01 x the reference's test MAE and 5-fold CV MAE (training "
    "split, same folds) <= 1.01 x the reference's CV MAE; served: the qualifying candidate "
    "with the fewest decision nodes per ride (ties: fewer nodes, then the name); the "
    "reference qualifies by definition, so it is kept when no lighter candidate does; CV is "
    "computed in order of cost for the candidates within the test bound, until one qualifies"
)
PROXY = (
    "decision nodes per ride: the tree walk of the exported model.onnx (TreeEnsembleRegressor, "
    "BRANCH_LEQ on the float32 features) from every tree's root to its leaf, nodes that "
    "compare a feature counted, summed over the trees, mean over the test rides; nodes: all "
    "nodes of the ensemble (size); depth: the deepest leaf"
)
TIMING = (
    "not in this card (timings vary from run to run; the card is byte-reproducible): "
    "onnxruntime-node microseconds per ride of the served model are measured by the bench, "
    "`npm run bench -- --only inference` (bench/results/latest.json, inference.models)"
)
TIMING_ENV = "FLEET_TRAIN_TIMING"
TIMING_BATCH = 256
TIMING_REPS = 7


def learning_rate(trees: int) -> float:
    """Fewer trees take larger steps: 0.05 * sqrt(400 / trees), 4 decimals."""
    return round(REFERENCE_LEARNING_RATE * (REFERENCE_TREES / trees) ** 0.5, 4)


def candidate_name(trees: int, leaves: int) -> str:
    """n400_l31: zero-padded, so the card's sorted keys read in order."""
    return f"n{trees:03d}_l{leaves:02d}"


def candidates(reference) -> dict:
    """name -> (make, params): the reference's estimator with fewer and/or smaller trees."""
    ref = reference.get_params()
    out = {}
    for trees in CANDIDATE_TREES:
        for leaves in CANDIDATE_LEAVES:
            if trees == ref["max_iter"] and leaves == ref["max_leaf_nodes"]:
                continue
            params = {"max_iter": trees, "max_leaf_nodes": leaves,
                      "learning_rate": learning_rate(trees)}
            out[candidate_name(trees, leaves)] = (
                lambda p=params: clone(reference).set_params(**p), params)
    return out


def tree_walk(model_bytes: bytes, X: np.ndarray) -> dict:
    """The deterministic cost proxy (see PROXY), read from the ONNX TreeEnsembleRegressor."""
    graph = onnx.load_from_string(model_bytes).graph
    (node,) = [n for n in graph.node if n.op_type == "TreeEnsembleRegressor"]
    a = {x.name: helper.get_attribute_value(x) for x in node.attribute}
    modes = [m.decode() if isinstance(m, bytes) else m for m in a["nodes_modes"]]
    if set(modes) - {"BRANCH_LEQ", "LEAF"}:
        raise ValueError(f"tree walk: unexpected node modes {sorted(set(modes))}")
    tree_ids = np.asarray(a["nodes_treeids"])
    node_ids = np.asarray(a["nodes_nodeids"])
    X = X.astype(np.float32)
    rows = np.arange(len(X))
    decisions = np.zeros(len(X), dtype=np.int64)
    depth = 0
    trees = np.unique(tree_ids)
    for t in trees:
        at = np.flatnonzero(tree_ids == t)
        index = {int(n): k for k, n in enumerate(node_ids[at])}
        leaf = np.array([modes[i] == "LEAF" for i in at])
        feature = np.asarray(a["nodes_featureids"])[at]
        threshold = np.asarray(a["nodes_values"], dtype=np.float32)[at]
        true_next = np.array([index.get(int(n), -1) for n in np.asarray(a["nodes_truenodeids"])[at]])
        false_next = np.array([index.get(int(n), -1) for n in np.asarray(a["nodes_falsenodeids"])[at]])
        current = np.full(len(X), index[0])
        steps = 0
        while True:
            walking = ~leaf[current]
            if not walking.any():
                break
            steps += 1
            decisions += walking
            go_true = X[rows, feature[current]] <= threshold[current]
            current = np.where(walking, np.where(go_true, true_next[current], false_next[current]),
                               current)
        depth = max(depth, steps)
    return {
        "trees": int(len(trees)),
        "nodes": int(len(tree_ids)),
        "max_depth": int(depth),
        "decisions_per_ride": round(float(decisions.mean()), 1),
    }


def _score(model_bytes: bytes, X: np.ndarray) -> np.ndarray:
    options = ort.SessionOptions()
    options.intra_op_num_threads = 1
    options.inter_op_num_threads = 1
    session = ort.InferenceSession(model_bytes, options, providers=["CPUExecutionProvider"])
    (out,) = session.run(None, {INPUT_NAME: X.astype(np.float32)})
    return np.asarray(out, dtype=np.float32).reshape(-1)


def _order(entry: tuple) -> tuple:
    name, rep = entry
    return (rep["tree_walk"]["decisions_per_ride"], rep["tree_walk"]["nodes"], name)


def select(reference, reference_cv_mae: float, X_tr, y_tr, X_te, y_te, name: str,
           version: str) -> tuple:
    """Fits, exports and scores every candidate; returns (served model, the card's section)."""
    n_features = X_tr.shape[1]
    ref_name = candidate_name(reference.get_params()["max_iter"],
                              reference.get_params()["max_leaf_nodes"])
    fitted = {ref_name: reference}
    params = {ref_name: {k: reference.get_params()[k]
                         for k in ("max_iter", "max_leaf_nodes", "learning_rate")}}
    makes = {}
    for cand, (make, p) in candidates(reference).items():
        fitted[cand], params[cand], makes[cand] = make().fit(X_tr, y_tr), p, make
    exported = {c: onnx_bytes(m, n_features, name, version) for c, m in fitted.items()}
    report = {}
    for cand in sorted(fitted):
        report[cand] = {
            "trees": params[cand]["max_iter"],
            "max_leaf_nodes": params[cand]["max_leaf_nodes"],
            "learning_rate": params[cand]["learning_rate"],
            "test": metrics(y_te, _score(exported[cand], X_te)),
            "tree_walk": tree_walk(exported[cand], X_te),
        }
    ref_test = report[ref_name]["test"]["mae"]
    bounds = {"test_mae": round((1 + MAX_MAE_INCREASE) * ref_test, 4),
              "cv_mae": round((1 + MAX_MAE_INCREASE) * reference_cv_mae, 4)}
    served = None
    for cand, rep in sorted(report.items(), key=_order):
        rep["test_mae_vs_reference"] = round(rep["test"]["mae"] / ref_test - 1, 4)
        within = rep["test"]["mae"] <= (1 + MAX_MAE_INCREASE) * ref_test
        if cand == ref_name:
            rep["cv_mae"] = reference_cv_mae
        elif served is None and within:
            rep["cv_mae"] = cross_val_mae(makes[cand], X_tr, y_tr)
        else:
            rep["cv_mae"] = None
            rep["cv_not_computed"] = ("test MAE above the bound" if not within
                                      else "a cheaper candidate qualified")
        rep["qualifies"] = None if rep["cv_mae"] is None else bool(
            within and rep["cv_mae"] <= (1 + MAX_MAE_INCREASE) * reference_cv_mae)
        if rep["qualifies"] and served is None:
            served = cand
    ref_walk = report[ref_name]["tree_walk"]
    served_walk = report[served]["tree_walk"]
    if os.environ.get(TIMING_ENV):
        print_timings(name, exported, report, served, X_te)
    section = {
        "reference": ref_name,
        "served": served,
        "rule": RULE,
        "bounds": bounds,
        "learning_rate": "0.05 * sqrt(400 / trees), 4 decimals; other hyper-parameters as the reference's",
        "proxy": PROXY,
        "served_vs_reference": {
            "decisions_per_ride": round(served_walk["decisions_per_ride"]
                                        / ref_walk["decisions_per_ride"], 4),
            "nodes": round(served_walk["nodes"] / ref_walk["nodes"], 4),
            "test_mae": report[served]["test_mae_vs_reference"],
        },
        "us_per_ride": TIMING,
        "candidates": report,
    }
    return fitted[served], section


def print_timings(name: str, exported: dict, report: dict, served: str, X: np.ndarray) -> None:
    """Python onnxruntime, 1 thread, batch TIMING_BATCH: median and min µs per ride over
    TIMING_REPS repetitions of a pass over the test rides (stdout only: not reproducible)."""
    X = X.astype(np.float32)
    starts = list(range(0, len(X) - TIMING_BATCH + 1, TIMING_BATCH // 2))
    print(f"{name}: Python onnxruntime {ort.__version__}, 1 thread, batch {TIMING_BATCH}, "
          f"{TIMING_REPS} repetitions over the test rides (median / min µs per ride):")
    for cand, rep in sorted(report.items(), key=_order):
        options = ort.SessionOptions()
        options.intra_op_num_threads = 1
        options.inter_op_num_threads = 1
        session = ort.InferenceSession(exported[cand], options, providers=["CPUExecutionProvider"])
        for s in starts:
            session.run(None, {INPUT_NAME: X[s:s + TIMING_BATCH]})
        per_ride = []
        for _ in range(TIMING_REPS):
            t0 = time.perf_counter()
            for _ in range(4):
                for s in starts:
                    session.run(None, {INPUT_NAME: X[s:s + TIMING_BATCH]})
            per_ride.append((time.perf_counter() - t0) * 1e6 / (4 * len(starts) * TIMING_BATCH))
        mark = " served" if cand == served else ""
        print(f"  {cand} {rep['tree_walk']['decisions_per_ride']:>7} decisions/ride "
              f"test MAE {rep['test']['mae']:.4f} qualifies {rep['qualifies']}: "
              f"{np.median(per_ride):.2f} / {min(per_ride):.2f} µs{mark}", file=sys.stdout, flush=True)
