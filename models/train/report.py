"""Writes the generated tables of models/README.md from the model cards of every version
on disk (`cards`: name -> {version: card}). A row that reads the same for several versions
of a model (same predictor, same figures) is written once, its versions listed together."""

from __future__ import annotations

import os

START = "<!-- metrics:start (written by models/train/train.py) -->"
END = "<!-- metrics:end -->"
NOISE_START = "<!-- distance-noise:start (written by models/train/train.py) -->"
NOISE_END = "<!-- distance-noise:end -->"
COST_START = "<!-- inference-cost:start (written by models/train/train.py) -->"
COST_END = "<!-- inference-cost:end -->"
INTERVAL_START = "<!-- intervals:start (written by models/train/train.py) -->"
INTERVAL_END = "<!-- intervals:end -->"
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


def _version_key(version: str) -> tuple:
    return tuple(int(p) for p in version.split("."))


def _collapse(rows: list[tuple]) -> list[tuple[str, list[str]]]:
    """rows: (target order, sort key, version, cells). Rows of one target with the same
    cells are merged; returns (versions joined by ', ', cells) in (target, sort key, first
    version) order."""
    groups: dict = {}
    for order, key, version, cells in rows:
        group = groups.setdefault((order, tuple(cells)), {"key": key, "versions": []})
        group["key"] = min(group["key"], key)
        group["versions"].append(version)
    out = []
    for (order, cells), group in groups.items():
        versions = sorted(set(group["versions"]), key=_version_key)
        out.append(((order, group["key"], _version_key(versions[0])), ", ".join(versions), list(cells)))
    return [(versions, cells) for _, versions, cells in sorted(out, key=lambda r: r[0])]


def _cells(m: dict) -> list[str]:
    return [f"{m['mae']:.3f}", f"{m['rmse']:.3f}", f"{m['r2']:.3f}"]


def _label(name: str, card: dict) -> str:
    return f"{name} ({card['target']['unit']})"


def _each(cards: dict):
    """(target order, name, version, card) of every version, oldest first."""
    for order, (name, versions) in enumerate(cards.items()):
        for version in sorted(versions, key=_version_key):
            yield order, name, version, versions[version]


def table(cards: dict) -> str:
    """The markdown table: baselines, both families (CV MAE too), the loss check, the
    served model, per version."""
    rows = []
    for order, name, version, card in _each(cards):
        label = _label(name, card)
        base = card["metrics"]["baselines"]
        rows.append((order, 0, version, [label, "baseline: training mean",
                                         *_cells(base["training_mean"]), ""]))
        rows.append((order, 1, version, [label, "baseline: distance-only linear",
                                         *_cells(base["distance_linear"]), ""]))
        chosen = card["family"]["chosen"]
        families = sorted(card["family"]["candidates"].items(),
                          key=lambda kv: (list(LABELS).index(kv[0]) if kv[0] in LABELS else len(LABELS), kv[0]))
        for k, (fam, rep) in enumerate(families):
            note = f"CV MAE {rep['cv_mae']:.3f}" + (" · chosen" if fam == chosen else "")
            what = LABELS.get(fam, fam)
            if fam == chosen and "served" in card.get("inference_cost", {}):
                what = served_label(card, card["inference_cost"]["reference"])
                note += " · the reference"
            rows.append((order, 2 + k / 10, version,
                         [label, f"{what} (scikit-learn)", *_cells(rep["test"]), note]))
        check = card.get("loss_check")
        if check:
            for loss, rep in check["losses"].items():
                if loss == check["served"]:
                    continue
                rows.append((order, 4, version, [
                    label, f"{LABELS[chosen]}, same recipe, {loss.replace('_', ' ')} loss "
                    "(scikit-learn)", f"{rep['test_mae']:.3f}", "–", "–",
                    f"CV MAE {rep['cv_mae']:.3f} · loss check: not served "
                    f"({check['served'].replace('_', ' ')} has the lower CV MAE)"]))
        reduction = card["metrics"]["mae_reduction_vs_distance_baseline"]
        rows.append((order, 6, version, [
            label, f"**served: model.onnx** ({served_label(card)})", *_cells(card["metrics"]["test"]),
            f"MAE {reduction:.1%} below the distance-only baseline"]))
    lines = [
        "| target (unit) | versions | predictor | test MAE | test RMSE | test R² | notes |",
        "|---|---|---|---:|---:|---:|---|",
    ]
    for versions, cells in _collapse(rows):
        lines.append(f"| {cells[0]} | {versions} | " + " | ".join(cells[1:]) + " |")
    return "\n".join(lines)


def interval_table(cards: dict) -> str:
    """The prediction interval of every version that has one (card.interval)."""
    rows = []
    for order, name, version, card in _each(cards):
        iv = card.get("interval")
        if not iv:
            continue
        unit = card["target"]["unit"]
        qm = iv["quantile_models"]["params"]
        cal = iv["calibration"]
        dec = iv["decisions_per_ride"]
        rows.append((order, 0, version, [
            _label(name, card),
            f"{iv['quantiles']['lower']:g} / {iv['quantiles']['upper']:g}, "
            f"{qm['max_iter']} trees ≤ {qm['max_leaf_nodes']} leaves each",
            f"{cal['raw_calibration_coverage']:.1%} → {cal['calibrated_calibration_coverage']:.1%}",
            f"{cal['offset']:+g} {unit}",
            f"{iv['test']['raw_coverage']:.1%}",
            f"**{iv['test']['coverage']:.1%}**",
            f"{iv['test']['mean_width']:.2f} {unit}",
            f"{dec['point']:,.0f} + {dec['lower']:,.0f} + {dec['upper']:,.0f} = {dec['model_onnx']:,.0f}",
        ]))
    if not rows:
        return "No model version has a prediction interval yet."
    lines = [
        "| target (unit) | versions | quantile models | calibration part: raw → calibrated coverage "
        "| offset (each side) | test coverage, raw quantile models | **test coverage** "
        "| test mean width | decision nodes per ride (point + lower + upper) |",
        "|---|---|---|---:|---:|---:|---:|---:|---:|",
    ]
    for versions, cells in _collapse(rows):
        lines.append(f"| {cells[0]} | {versions} | " + " | ".join(cells[1:]) + " |")
    return "\n".join(lines)


def noise_table(cards: dict) -> str:
    """Clean vs noisy-distance test MAE (metrics.test_distance_noise_15pct of each card),
    after a line giving the noise the cards were scored with."""
    first = next(c for _, _, _, c in _each(cards))
    noise = first["metrics"]["test_distance_noise_15pct"]["noise"]
    w = noise["half_width"]
    rows = []
    for order, name, version, card in _each(cards):
        noisy = card["metrics"]["test_distance_noise_15pct"]
        if noisy["noise"] != noise:
            raise ValueError(f"{name} {version}: scored with another distance noise than {noise}")
        served = (f"**served: model.onnx** ({served_label(card)})", noisy["served"],
                  f"MAE {noisy['mae_reduction_vs_distance_baseline']:.1%} below the baseline "
                  "under the same noise")
        for k, (what, m, note) in enumerate([("baseline: distance-only linear",
                                              noisy["distance_linear"], ""), served]):
            draws = m["mae_per_draw"]
            change = m["mae_increase_vs_clean"]
            change = f"{change:+.1%}" if abs(change) >= 0.0005 else "0.0%"
            rows.append((order, k, version, [
                _label(name, card), what, f"{m['clean_mae']:.3f}", f"{m['mae']:.3f}", change,
                f"{draws['min']:.3f}–{draws['max']:.3f}", note]))
    lines = [
        f"Distance × (1 + ε), ε {noise['distribution']} in [−{w:g}, +{w:g}] per test ride, "
        f"{noise['draws']} draws (seed {noise['seed']}), metrics pooled over the draws:",
        "",
        "| target (unit) | versions | predictor | clean test MAE | test MAE, distance ±15 % "
        "| change | per-draw MAE range | notes |",
        "|---|---|---|---:|---:|---:|---:|---|",
    ]
    for versions, cells in _collapse(rows):
        lines.append(f"| {cells[0]} | {versions} | " + " | ".join(cells[1:]) + " |")
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
    """Per target and version, the lighter candidates in order of cost up to the served
    one, then the reference (inference_cost of each card; the rest are in the cards)."""
    rows, notes = [], []
    for order, name, version, card in _each(cards):
        cost = card.get("inference_cost", {})
        if "served" not in cost:
            continue
        order_by = sorted(cost["candidates"].items(),
                          key=lambda kv: (kv[1]["tree_walk"]["decisions_per_ride"],
                                          kv[1]["tree_walk"]["nodes"], kv[0]))
        names = [n for n, _ in order_by]
        shown = names[: names.index(cost["served"]) + 1]
        if cost["reference"] not in shown:
            shown.append(cost["reference"])
        for cand in shown:
            rep = cost["candidates"][cand]
            cv = "–" if rep["cv_mae"] is None else f"{rep['cv_mae']:.3f}"
            walk = rep["tree_walk"]
            rows.append((order, (walk["decisions_per_ride"], walk["nodes"], cand), version, [
                name, f"{rep['trees']} trees ≤ {rep['max_leaf_nodes']} leaves",
                f"{rep['learning_rate']:g}", f"{rep['test']['mae']:.3f}",
                f"{rep['test_mae_vs_reference']:+.1%}", cv, f"{walk['decisions_per_ride']:,.0f}",
                f"{walk['nodes']:,}", _verdict(cand, rep, cost)]))
        ratio = cost["served_vs_reference"]["decisions_per_ride"]
        notes.append((order, 0, version, [
            name, f"bounds test MAE ≤ {cost['bounds']['test_mae']:.4f}, CV MAE ≤ "
                  f"{cost['bounds']['cv_mae']:.4f}; served {cost['served']}, "
                  f"{ratio:.2f} × the reference's decision nodes per ride; "
                  f"{_more(len(names) - len(shown))}"]))
    lines = [
        "| target | versions | candidate | learning rate | test MAE | vs reference | CV MAE "
        "| decision nodes per ride | nodes | verdict |",
        "|---|---|---|---:|---:|---:|---:|---:|---:|---|",
    ]
    for versions, cells in _collapse(rows):
        lines.append(f"| {cells[0]} | {versions} | " + " | ".join(cells[1:]) + " |")
    lines.append("")
    lines += [f"- {cells[0]} {versions}: {cells[1]}" for versions, cells in _collapse(notes)]
    return "\n".join(lines)


def _replace_block(text: str, start: str, end: str, body: str) -> str:
    """Replaces the text between two markers (appends them when missing)."""
    block = f"{start}\n{body}\n{end}"
    if start in text and end in text:
        head, rest = text.split(start, 1)
        return head + block + rest.split(end, 1)[1]
    return text + ("\n" if text and not text.endswith("\n") else "") + block + "\n"


def update_readme(path: str, cards: dict) -> None:
    """Rewrites the generated tables between their markers from every version's card
    (cards: name -> {version: card})."""
    text = open(path, encoding="utf-8").read() if os.path.exists(path) else ""
    text = _replace_block(text, START, END, table(cards))
    text = _replace_block(text, INTERVAL_START, INTERVAL_END, interval_table(cards))
    text = _replace_block(text, NOISE_START, NOISE_END, noise_table(cards))
    text = _replace_block(text, COST_START, COST_END, cost_table(cards))
    with open(path, "w", encoding="utf-8") as handle:
        handle.write(text)
