"""Prediction intervals: two quantile tree ensembles beside the point estimate, calibrated
by conformalized quantile regression (CQR, Romano et al. 2019).

- Two `HistGradientBoostingRegressor(loss="quantile")`, quantiles QUANTILES (0.1, 0.9),
  lighter than the point estimate (QUANTILE_TREES trees of at most QUANTILE_LEAVES leaves),
  are fitted on the fitting part of the cleaned training split: a seeded
  (1 - CALIBRATION_FRACTION) share of it.
- The other CALIBRATION_FRACTION, the calibration part, calibrates them: the conformity
  score of a ride is max(lower - y, y - upper) (how far outside the raw interval it lies,
  negative inside), and the offset is its ceil((n + 1) * NOMINAL)-th smallest value over
  the n calibration rides. Both bounds move by that additive offset (outwards when the raw
  interval covers too little, inwards when too much), which gives at least NOMINAL coverage
  on rides drawn like the calibration ones. The test split is not used for any of this.
- The ONNX graph (export.interval_onnx) then clamps the bounds around the point estimate:
  lower = min(lower_raw - offset, point), upper = max(upper_raw + offset, point).

The offset and the scores come from the exported float32 quantile graphs (onnxruntime), so
the calibration sees exactly what is served.
"""

from __future__ import annotations

import math

import numpy as np
from sklearn.ensemble import HistGradientBoostingRegressor

from export import onnx_bytes, onnx_predict
from inference_cost import tree_walk
from modeling import SEED

NOMINAL = 0.8
QUANTILES = (0.1, 0.9)
QUANTILE_TREES = 100
QUANTILE_LEAVES = 15
QUANTILE_LEARNING_RATE = 0.1
CALIBRATION_FRACTION = 0.25


def quantile_model(quantile: float) -> HistGradientBoostingRegressor:
    """The quantile estimator of one bound (fixed hyper-parameters)."""
    return HistGradientBoostingRegressor(
        loss="quantile",
        quantile=quantile,
        learning_rate=QUANTILE_LEARNING_RATE,
        max_iter=QUANTILE_TREES,
        max_leaf_nodes=QUANTILE_LEAVES,
        min_samples_leaf=20,
        l2_regularization=1.0,
        early_stopping=False,
        random_state=SEED,
    )


def calibration_split(n: int) -> tuple[np.ndarray, np.ndarray]:
    """(fitting rows, calibration rows) of the n cleaned training rows: a permutation with
    SEED, its first CALIBRATION_FRACTION is the calibration part."""
    perm = np.random.default_rng(SEED).permutation(n)
    n_cal = int(round(n * CALIBRATION_FRACTION))
    return np.sort(perm[n_cal:]), np.sort(perm[:n_cal])


def conformal_offset(scores: np.ndarray) -> np.float32:
    """The ceil((n + 1) * NOMINAL)-th smallest conformity score (float32)."""
    n = len(scores)
    k = min(n, math.ceil((n + 1) * NOMINAL))
    return np.float32(np.sort(scores.astype(np.float64))[k - 1])


def coverage(y: np.ndarray, lower: np.ndarray, upper: np.ndarray) -> float:
    """Share of rides whose actual value lies within [lower, upper]."""
    y = np.asarray(y, dtype=np.float64)
    return float(np.mean((y >= lower.astype(np.float64)) & (y <= upper.astype(np.float64))))


def fit_interval(X_tr: np.ndarray, y_tr: np.ndarray, X_te: np.ndarray, name: str,
                 version: str) -> dict:
    """Fits and calibrates the two quantile models; returns them, the offset and the
    card's `interval` section (less the test figures of the served graph, added by the
    caller from the exported model.onnx)."""
    fit_rows, cal_rows = calibration_split(len(y_tr))
    n_features = X_tr.shape[1]
    models, raw_cal, raw_test, walks = {}, {}, {}, {}
    for bound, q in zip(("lower", "upper"), QUANTILES):
        models[bound] = quantile_model(q).fit(X_tr[fit_rows], y_tr[fit_rows])
        data = onnx_bytes(models[bound], n_features, name, version)
        raw_cal[bound] = onnx_predict(data, X_tr[cal_rows])
        raw_test[bound] = onnx_predict(data, X_te)
        walks[bound] = tree_walk(data, X_te)
    y_cal = y_tr[cal_rows].astype(np.float64)
    scores = np.maximum(raw_cal["lower"] - y_cal, y_cal - raw_cal["upper"])
    offset = conformal_offset(scores)
    params = {k: v for k, v in quantile_model(QUANTILES[0]).get_params().items()
              if k in ("learning_rate", "max_iter", "max_leaf_nodes", "min_samples_leaf",
                       "l2_regularization", "loss")}
    section = {
        "nominal": NOMINAL,
        "quantiles": {"lower": QUANTILES[0], "upper": QUANTILES[1]},
        "quantile_models": {
            "estimator": "HistGradientBoostingRegressor",
            "params": dict(sorted(params.items())),
            "fitted_on": f"the fitting part of the cleaned training split ({len(fit_rows)} rides)",
            "tree_walk": walks,
        },
        "calibration": {
            "method": "conformalized quantile regression (split conformal): conformity score "
                      "max(lower - y, y - upper) on the calibration part; offset = its "
                      "ceil((n + 1) * nominal)-th smallest value; lower - offset, upper + offset",
            "split": f"numpy default_rng({SEED}).permutation of the {len(y_tr)} cleaned training "
                     f"rides; first {CALIBRATION_FRACTION:.0%} = calibration part",
            "rows": int(len(cal_rows)),
            "fitting_rows": int(len(fit_rows)),
            "offset": round(float(offset), 4),
            "raw_calibration_coverage": round(coverage(y_cal, raw_cal["lower"], raw_cal["upper"]), 4),
            "calibrated_calibration_coverage": round(
                coverage(y_cal, raw_cal["lower"] - offset, raw_cal["upper"] + offset), 4),
        },
        "clamp": "lower = min(lower_raw - offset, point), upper = max(upper_raw + offset, point), "
                 "in the graph: lower <= point <= upper for every ride",
    }
    return {"models": models, "offset": offset, "raw_test": raw_test, "section": section}


def method_text(section: dict, unit: str) -> str:
    """card.metrics.interval.method: the quantile models and the calibration, in one line."""
    qm = section["quantile_models"]["params"]
    cal = section["calibration"]
    offset = cal["offset"]
    direction = ("widened" if offset > 0 else "narrowed") + f" by {abs(offset):g} {unit} on each side"
    if offset == 0:
        direction = "left as they are (offset 0)"
    return (
        f"quantile regression: HistGradientBoostingRegressor(loss='quantile') at "
        f"{section['quantiles']['lower']} and {section['quantiles']['upper']} "
        f"({qm['max_iter']} trees <= {qm['max_leaf_nodes']} leaves, learning rate "
        f"{qm['learning_rate']:g}), fitted on {cal['fitting_rows']} of the cleaned training "
        f"rides; calibrated by conformalized quantile regression on the other "
        f"{cal['rows']} (raw quantile models covered {cal['raw_calibration_coverage']:.1%} of "
        f"them): bounds {direction}; then clamped around the point estimate in the graph "
        f"(lower = min(lower, point), upper = max(upper, point))"
    )
