"""Writes the generated tables of models/README.md from the model cards."""

from __future__ import annotations

import os

START = "<!-- metrics:start (written by models/train/train.py) -->"
END = "<!-- metrics:end -->"
NOISE_START = "<!-- distance-noise:start (written by models/train/train.py) -->"
NOISE_END = "<!-- distance-noise:end -->"
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


def noise_table(cards: dict) -> str:
    """Clean vs noisy-distance test MAE (metrics.test_distance_noise_15pct of each card),
    after a line giving the noise the cards were scored with."""
    noise = next(iter(cards.values()))["metrics"]["test_distance_noise_15pct"]["noise"]
    w = noise["half_width"]
    lines = [
        f"Distance × (1 + ε), ε {noise['distribution']} in [−{w:g}, +{w:g}] per test ride, "
        f"{noise['draws']} draws (seed {noise['seed']}), metrics pooled over the draws:",
        "",
        "| target (unit) | predictor | clean test MAE | test MAE, distance ±15 % "
        "| change | per-draw MAE range | notes |",
        "|---|---|---:|---:|---:|---:|---|",
    ]
    for name, card in cards.items():
        label = f"{name} ({card['target']['unit']})"
        noisy = card["metrics"]["test_distance_noise_15pct"]
        chosen = card["family"]["chosen"]
        rows = [
            ("baseline: distance-only linear", noisy["distance_linear"], ""),
            (f"**served: model.onnx** ({LABELS.get(chosen, chosen)})", noisy["served"],
             f"MAE {noisy['mae_reduction_vs_distance_baseline']:.1%} below the baseline "
             "under the same noise"),
        ]
        for what, m, note in rows:
            draws = m["mae_per_draw"]
            change = m["mae_increase_vs_clean"]
            change = f"{change:+.1%}" if abs(change) >= 0.0005 else "0.0%"
            lines.append(
                f"| {label} | {what} | {m['clean_mae']:.3f} | {m['mae']:.3f} "
                f"| {change} | {draws['min']:.3f}–{draws['max']:.3f} "
                f"| {note} |"
            )
    return "\n".join(lines)


def _replace_block(text: str, start: str, end: str, body: str) -> str:
    """Replaces the text between two markers (appends them when missing)."""
    block = f"{start}\n{body}\n{end}"
    if start in text and end in text:
        head, rest = text.split(start, 1)
        return head + block + rest.split(end, 1)[1]
    return text + ("\n" if text and not text.endswith("\n") else "") + block + "\n"


def update_readme(path: str, cards: dict) -> None:
    """Rewrites the metrics and distance-noise tables between their markers."""
    text = open(path, encoding="utf-8").read() if os.path.exists(path) else ""
    text = _replace_block(text, START, END, table(cards))
    text = _replace_block(text, NOISE_START, NOISE_END, noise_table(cards))
    with open(path, "w", encoding="utf-8") as handle:
        handle.write(text)
