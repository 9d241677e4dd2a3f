"""Model families, baselines, metrics and the evidence-based choice between families."""

from __future__ import annotations

import numpy as np
from sklearn.base import clone
from sklearn.ensemble import HistGradientBoostingRegressor
from sklearn.linear_model import LinearRegression, Ridge
from sklearn.model_selection import KFold
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import StandardScaler

SEED = 42
CV_FOLDS = 5


def metrics(y_true: np.ndarray, y_pred: np.ndarray) -> dict:
    """MAE, RMSE and R² of predictions, rounded for the model card."""
    y_true = np.asarray(y_true, dtype=np.float64)
    err = np.asarray(y_pred, dtype=np.float64).reshape(-1) - y_true
    ss_res = float(np.sum(err**2))
    ss_tot = float(np.sum((y_true - y_true.mean()) ** 2))
    return {
        "mae": round(float(np.mean(np.abs(err))), 4),
        "rmse": round(float(np.sqrt(np.mean(err**2))), 4),
        "r2": round(1.0 - ss_res / ss_tot, 4),
    }


def families() -> dict:
    """The candidate families: a linear model and a tree ensemble, fixed hyper-parameters."""
    return {
        "ridge": lambda: Pipeline(
            [("scale", StandardScaler()), ("ridge", Ridge(alpha=1.0))]
        ),
        "hist_gradient_boosting": lambda: HistGradientBoostingRegressor(
            loss="absolute_error",
            learning_rate=0.05,
            max_iter=400,
            max_leaf_nodes=31,
            min_samples_leaf=20,
            l2_regularization=1.0,
            early_stopping=False,
            random_state=SEED,
        ),
    }


def family_params(name: str) -> dict:
    """The hyper-parameters of a family, for the model card."""
    model = families()[name]()
    params = model.get_params(deep=True)
    keep = {k: v for k, v in params.items() if isinstance(v, (int, float, str, bool))}
    return dict(sorted(keep.items()))


def cross_val_mae(make, X: np.ndarray, y: np.ndarray) -> float:
    """Mean MAE over CV_FOLDS shuffled folds of the training split (seeded)."""
    folds = KFold(n_splits=CV_FOLDS, shuffle=True, random_state=SEED)
    maes = []
    for fit_idx, val_idx in folds.split(X):
        model = make().fit(X[fit_idx], y[fit_idx])
        maes.append(np.mean(np.abs(model.predict(X[val_idx]) - y[val_idx])))
    return round(float(np.mean(maes)), 4)


def fit_distance_baseline(X_train: np.ndarray, y_train: np.ndarray) -> LinearRegression:
    """The distance-only linear baseline: least squares on column 0 (distance_miles)."""
    return LinearRegression().fit(X_train[:, :1].astype(np.float64), y_train)


def baselines(
    X_train: np.ndarray, y_train: np.ndarray, X_test: np.ndarray, y_test: np.ndarray
) -> dict:
    """Test metrics of the training mean and of a distance-only linear fit (column 0)."""
    mean = float(np.mean(y_train))
    dist = fit_distance_baseline(X_train, y_train)
    return {
        "training_mean": {
            "prediction": round(mean, 4),
            **metrics(y_test, np.full(len(y_test), mean)),
        },
        "distance_linear": {
            "intercept": round(float(dist.intercept_), 4),
            "slope_per_mile": round(float(dist.coef_[0]), 4),
            **metrics(y_test, dist.predict(X_test[:, :1].astype(np.float64))),
        },
    }


def choose_family(X: np.ndarray, y: np.ndarray) -> tuple[str, dict]:
    """Cross-validates every family on the training split; the lowest CV MAE wins."""
    cv = {name: cross_val_mae(make, X, y) for name, make in families().items()}
    return min(cv, key=lambda name: (cv[name], name)), cv


LOSS_RULE = (
    "the chosen tree ensemble's recipe fitted with each loss, everything else equal; served: "
    "the loss with the lower 5-fold CV MAE on the training split (same folds as the family "
    "choice; the test split is not used for choices); the test MAE of each is shown beside"
)


def loss_check(reference, reference_cv_mae: float, X_tr: np.ndarray, y_tr: np.ndarray,
               X_te: np.ndarray, y_te: np.ndarray) -> tuple:
    """The chosen tree ensemble (fitted with its loss, absolute_error) against the same
    recipe fitted with squared_error: test and CV MAE of each. Returns (the fitted model of
    the loss served, the card's `loss_check`)."""
    own = reference.get_params()["loss"]
    fitted = {own: reference}
    cv = {own: reference_cv_mae}
    for loss in ("absolute_error", "squared_error"):
        if loss not in fitted:
            def make(loss=loss):
                return clone(reference).set_params(loss=loss)
            fitted[loss] = make().fit(X_tr, y_tr)
            cv[loss] = cross_val_mae(make, X_tr, y_tr)
    losses = {loss: {"cv_mae": cv[loss], "test_mae": metrics(y_te, fitted[loss].predict(X_te))["mae"]}
              for loss in sorted(fitted)}
    served = min(losses, key=lambda loss: (losses[loss]["cv_mae"], loss))
    by_test = min(losses, key=lambda loss: (losses[loss]["test_mae"], loss))
    params = reference.get_params()
    section = {
        "metric": "MAE",
        "recipe": (f"hist gradient boosting, {params['max_iter']} trees <= "
                   f"{params['max_leaf_nodes']} leaves, learning rate {params['learning_rate']}"),
        "rule": LOSS_RULE,
        "losses": losses,
        "served": served,
        "lower_test_mae": by_test,
    }
    return fitted[served], section
