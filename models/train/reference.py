"""Reference distributions for drift monitoring, written into each model card.

The monitor (`packages/monitor`) compares what a model sees and predicts live with what it
saw at training time, by the population stability index (PSI) over fixed bins. The bins
and the training shares are fixed here, once, from the training split the model was fitted
on (after cleaning):

- numeric values (the prediction, the distance, the pickup hour, passengers): the training
  deciles as bin edges, rounded to 4 decimals and merged where equal (a discrete input
  such as passengers has fewer bins); bin i holds edges[i-1] < x <= edges[i], the first
  bin everything up to edges[0], the last everything above edges[-1];
- categories (boroughs, payment method): every value seen in training, as it is; a live
  value never seen there falls in an extra bin whose training share is 0;
- a missing value (null) is a bin of its own, `missing_share`.

Shares are over all training rows, missing included, rounded to 6 decimals.
"""

from __future__ import annotations

import numpy as np
from features import local_clock

DECILES = [q / 10 for q in range(1, 10)]
EDGE_DECIMALS = 4
SHARE_DECIMALS = 6

BINNING = (
    "numeric: right-closed bins between the training deciles (edges rounded to "
    f"{EDGE_DECIMALS} decimals, equal edges merged), first and last bins open; "
    "categorical: every training value as it is, a value unseen in training falls in an "
    "extra bin of training share 0; missing (null) values are a bin of their own "
    "(missing_share); shares are over all training rows"
)

# The main inputs watched for drift: name -> (kind, how to read it from a ride_started).
INPUTS = {
    "estimated_distance_miles": ("numeric", lambda r: float(r["estimated_distance_miles"])),
    "pickup_hour": ("numeric", lambda r: float(local_clock(r["pickup_time"])[0])),
    "passengers": ("numeric", lambda r: float(r["passengers"])),
    "pickup_borough": ("categorical", lambda r: r["pickup_borough"]),
    "dropoff_borough": ("categorical", lambda r: r["dropoff_borough"]),
    "payment_method": ("categorical", lambda r: r["payment_method"]),
}


def _share(count: int, rows: int) -> float:
    return round(count / rows, SHARE_DECIMALS)


def numeric_reference(values: list) -> dict:
    """Decile bins of the present values and the share of every bin (see the module doc)."""
    rows = len(values)
    present = np.array([v for v in values if v is not None], dtype=np.float64)
    edges = sorted({round(float(e), EDGE_DECIMALS) for e in np.quantile(present, DECILES)})
    bins = np.searchsorted(np.array(edges, dtype=np.float64), present, side="left")
    counts = np.bincount(bins, minlength=len(edges) + 1)
    return {
        "kind": "numeric",
        "edges": edges,
        "shares": [_share(int(c), rows) for c in counts],
        "missing_share": _share(rows - len(present), rows),
    }


def categorical_reference(values: list) -> dict:
    """Every training category with its share, and the share of missing values."""
    rows = len(values)
    categories = sorted({v for v in values if v is not None})
    return {
        "kind": "categorical",
        "categories": categories,
        "shares": [_share(sum(1 for v in values if v == c), rows) for c in categories],
        "missing_share": _share(sum(1 for v in values if v is None), rows),
    }


def reference_distributions(train_rides: list[dict], train_predictions: np.ndarray) -> dict:
    """The card's `reference`: the model's training predictions and its main inputs."""
    features = {"prediction": numeric_reference([float(p) for p in train_predictions])}
    for name, (kind, read) in INPUTS.items():
        values = [read(r) for r in train_rides]
        features[name] = numeric_reference(values) if kind == "numeric" else categorical_reference(values)
    return {
        "population": "the training split after cleaning; prediction: the served model.onnx on it",
        "rows": len(train_rides),
        "binning": BINNING,
        "psi": "sum over bins of (live share - reference share) * ln(live share / reference share)",
        "features": features,
    }
