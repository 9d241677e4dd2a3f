"""Writes the generated tables of models/README.md from the model cards."""

from __future__ import annotations

import os

START = "<!-- metrics:start (written by models/train/train.py) -->"
END = "<!-- metrics:end -->"
NOISE_START = "<!-- distance-noise:start (written by models/train/train.py) -->"
NOISE_END = "<!-- distance-noise:end -->"
COST_START = "<!-- inference-cost:start (written by models/train/train.py) -->"
COST_END = "<!-- inference-cost:end -->"
LABELS = {"ridge": "ridge (linear)", "hist_gradient_boosting": "hist gradient boosting"}


def served_label(card: dict, candidate: str | None = None) -> str:
    """'hist gradient boosting, 100 trees ≤ 31 leaves': the family and the served candidate
    (or `candidate`)."""
    chosen = card["family"]["chosen"]
    cost = card.get("inference_cost", {})
    if "served" not in cost:
        return LABELS.get(chosen, chosen)
    rep = cost["candidates"][candidate or cost["served"]]
    return f"{LABELS.get(chosen, chosen)}, {rep['trees']} trees ≤ {rep['max_leaf_nodes']} leaves"


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
            what = LABELS.get(fam, fam)
            if fam == chosen and "served" in card.get("inference_cost", {}):
                what = served_label(card, card["inference_cost"]["reference"])
                note += " · the reference"
            lines.append(_row(label, f"{what} (scikit-learn)", rep["test"], note))
        reduction = card["metrics"]["mae_reduction_vs_distance_baseline"]
        lines.append(_row(label, f"**served: model.onnx** ({served_label(card)})",
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
            (f"**served: model.onnx** ({served_label(card)})", noisy["served"],
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


def _verdict(name: str, rep: dict, cost: dict) -> str:
    if name == cost["served"]:
        return "**served**" + (" (the reference)" if name == cost["reference"] else "")
    if name == cost["reference"]:
        return "the reference"
    if rep["test"]["mae"] > cost["bounds"]["test_mae"]:
        return "test MAE above the bound"
    if rep["cv_mae"] is None:
        return "not needed: a cheaper candidate qualified"
    return "qualifies" if rep["qualifies"] else "CV MAE above the bound"


def _more(n: int) -> str:
    if n == 0:
        return "no costlier candidate"
    return f"{n} costlier candidate{'s' if n > 1 else ''} in the card only"


def cost_table(cards: dict) -> str:
    """Per target, the lighter candidates in order of cost up to the served one, then the
    reference (inference_cost of each card; the rest are in the cards)."""
    lines = [
        "| target | candidate | learning rate | test MAE | vs reference | CV MAE "
        "| decision nodes per ride | nodes | verdict |",
        "|---|---|---:|---:|---:|---:|---:|---:|---|",
    ]
    notes = []
    for name, card in cards.items():
        cost = card.get("inference_cost", {})
        if "served" not in cost:
            continue
        order = sorted(cost["candidates"].items(),
                       key=lambda kv: (kv[1]["tree_walk"]["decisions_per_ride"],
                                       kv[1]["tree_walk"]["nodes"], kv[0]))
        names = [n for n, _ in order]
        shown = names[: names.index(cost["served"]) + 1]
        if cost["reference"] not in shown:
            shown.append(cost["reference"])
        for cand in shown:
            rep = cost["candidates"][cand]
            cv = "–" if rep["cv_mae"] is None else f"{rep['cv_mae']:.3f}"
            walk = rep["tree_walk"]
            lines.append(
                f"| {name} | {rep['trees']} trees ≤ {rep['max_leaf_nodes']} leaves "
                f"| {rep['learning_rate']:g} | {rep['test']['mae']:.3f} "
                f"| {rep['test_mae_vs_reference']:+.1%} | {cv} | {walk['decisions_per_ride']:,.0f} "
                f"| {walk['nodes']:,} | {_verdict(cand, rep, cost)} |")
        ratio = cost["served_vs_reference"]["decisions_per_ride"]
        notes.append(f"{name}: bounds test MAE ≤ {cost['bounds']['test_mae']:.4f}, CV MAE ≤ "
                     f"{cost['bounds']['cv_mae']:.4f}; served {cost['served']}, "
                     f"{ratio:.2f} × the reference's decision nodes per ride; "
                     f"{_more(len(names) - len(shown))}")
    return "\n".join(lines + [""] + [f"- {n}" for n in notes])


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
    text = _replace_block(text, COST_START, COST_END, cost_table(cards))
    with open(path, "w", encoding="utf-8") as handle:
        handle.write(text)
