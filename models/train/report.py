"""Writes the metrics table of models/README.md from the model cards."""

from __future__ import annotations

import os

START = "<!-- metrics:start (written by models/train/train.py) -->"
END = "<!-- metrics:end -->"
LABELS = {"ridge": "ridge (linear)", "hist_gradient_boosting": "hist gradient boosting"}


def _row(target: str, what: str, m: dict, extra: str = "") -> str:
    return f"| {target} | {what} | {m['mae']:.3f} | {m['rmse']:.3f} | {m['r2']:.3f} | {extra} |"


def table(cards: dict) -> str:
    """The markdown table: baselines, both families (CV MAE too), the served model."""
    lines = [
        "| target (unit) | predictor | test MAE | test RMSE | test R² | notes |",
        "|---|---|---:|---:|---:|---|",
    ]
    for name, card in cards.items():
        label = f"{name} ({card['target']['unit']})"
        base = card["metrics"]["baselines"]
        lines.append(_row(label, "baseline: training mean", base["training_mean"]))
        lines.append(_row(label, "baseline: distance-only linear", base["distance_linear"]))
        chosen = card["family"]["chosen"]
        for fam, rep in card["family"]["candidates"].items():
            note = f"CV MAE {rep['cv_mae']:.3f}" + (" · chosen" if fam == chosen else "")
            lines.append(_row(label, f"{LABELS.get(fam, fam)} (scikit-learn)", rep["test"], note))
        reduction = card["metrics"]["mae_reduction_vs_distance_baseline"]
        lines.append(_row(label, f"**served: model.onnx** ({LABELS.get(chosen, chosen)})",
                          card["metrics"]["test"],
                          f"MAE {reduction:.1%} below the distance-only baseline"))
    return "\n".join(lines)


def update_readme(path: str, cards: dict) -> None:
    """Replaces the text between the metrics markers (appends them when missing)."""
    text = open(path, encoding="utf-8").read() if os.path.exists(path) else ""
    block = f"{START}\n{table(cards)}\n{END}"
    if START in text and END in text:
        head, rest = text.split(START, 1)
        text = head + block + rest.split(END, 1)[1]
    else:
        text = text + ("\n" if text and not text.endswith("\n") else "") + block + "\n"
    with open(path, "w", encoding="utf-8") as handle:
        handle.write(text)
