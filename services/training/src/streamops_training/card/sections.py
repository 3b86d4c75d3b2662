"""The card's descriptive sections: model details, intended use, training data, metrics
per split with the threshold, and the gates with the outcome."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from streamops.features import utc_datetime
from streamops.pipeline import format_duration
from streamops_training.card.blocks import Block, Paragraph, Section, Table
from streamops_training.card.inputs import CardInputs

#: Splits in the metrics table in this order; any others follow by name.
SPLITS = ("train", "validation", "holdout")


def timestamp(ms: int) -> str:
    """Milliseconds since the epoch as a UTC date and time (the card never uses local time)."""
    return utc_datetime(ms).strftime("%Y-%m-%d %H:%M:%S UTC")


def number(value: float | None) -> str:
    """A metric or measured value in four significant digits (a whole number from 1,000 on
    in full, with thousands separators); ``n/a`` when undefined."""
    if value is None:
        return "n/a"
    if abs(value) >= 1000 and abs(value) < 1e15:
        return f"{value:,.0f}" if value == round(value) else f"{value:,.1f}"
    return f"{value:.4g}"


def model_details(card: CardInputs) -> Section:
    """What the model is and where it came from."""
    rows = [
        ("pipeline", card.pipeline),
        ("model", card.model_name),
        ("version", str(card.version)),
        ("task", card.task),
        ("algorithm", card.algorithm),
        ("framework", card.framework),
        ("created", timestamp(card.created_at)),
        ("ONNX sha256", card.onnx_sha256),
        ("training run", card.run_id or "not recorded"),
        ("parent (champion when trained)", _version(card.parent_version)),
        ("features", f"{len(card.feature_names)}: {', '.join(card.feature_names)}"),
    ]
    blocks: list[Block] = [Table(("field", "value"), tuple(rows))]
    if card.params:
        # a run records its params as text; those are shown as they are, not quoted
        params = tuple(
            (k, v if isinstance(v, str) else repr(v)) for k, v in sorted(card.params.items())
        )
        blocks.append(Table(("parameter", "value"), params))
    else:
        blocks.append(Paragraph("The estimator's default parameters."))
    return Section("Model details", tuple(blocks))


def _version(version: int | None) -> str:
    return "none (first version)" if version is None else f"v{version}"


def intended_use(card: CardInputs) -> Section:
    """The spec's own words on what the model is for."""
    paragraphs = [p.strip() for p in card.intended_use.split("\n\n") if p.strip()]
    if not paragraphs:
        paragraphs = ["Not stated in the spec."]
    return Section("Intended use", tuple(Paragraph(p) for p in paragraphs))


def training_data(card: CardInputs) -> Section:
    """The window, the counts and the dataset's identity, down to the offsets."""
    w, d = card.window, card.dataset
    blocks: list[Block] = [
        Table(
            ("field", "value"),
            (
                ("window start (event time, inclusive)", timestamp(w.start)),
                ("window end (event time, exclusive)", timestamp(w.end)),
                ("training rows", f"{w.train_count:,}"),
                ("holdout rows", f"{w.holdout_count:,}"),
                ("dataset content hash", d.content_hash or "not recorded"),
                ("dataset cut-off", timestamp(d.cutoff)),
                ("schema ids", _schema_ids(d.schema_ids)),
            ),
        )
    ]
    if d.offsets:
        offsets = tuple(
            (o.topic, str(o.partition), str(o.start), str(o.end), f"{o.end - o.start:,}")
            for o in sorted(d.offsets, key=lambda o: (o.topic, o.partition, o.start))
        )
        header = ("topic", "partition", "start offset", "end offset (exclusive)", "records")
        blocks.append(Table(header, offsets))
    else:
        blocks.append(Paragraph("No offset ranges were recorded."))
    return Section("Training data", tuple(blocks))


def _schema_ids(ids: Mapping[str, Sequence[int]]) -> str:
    if not ids:
        return "not recorded"
    return "; ".join(f"{t}: {', '.join(map(str, ids[t]))}" for t in sorted(ids))


def metrics(card: CardInputs) -> Section:
    """The recorded metrics, one column per split, then the decision threshold."""
    by_split: dict[str, dict[str, float]] = {}
    for name, value in card.metrics.items():
        split, _, metric = name.rpartition(".")
        by_split.setdefault(split or "unsplit", {})[metric] = value
    splits = [s for s in SPLITS if s in by_split] + sorted(set(by_split) - set(SPLITS))
    names = sorted({m for per in by_split.values() for m in per})
    blocks: list[Block] = []
    if names:
        rows = tuple(
            (m, *(number(by_split[s].get(m)) if m in by_split[s] else "" for s in splits))
            for m in names
        )
        blocks.append(Table(("metric", *splits), rows))
    else:
        blocks.append(Paragraph("No metrics were recorded."))
    if card.task == "BINARY_CLASSIFICATION":
        blocks.append(Paragraph(_threshold_sentence(card)))
    return Section("Metrics", tuple(blocks))


def _threshold_sentence(card: CardInputs) -> str:
    if card.decision_threshold is None:
        return "No decision threshold is recorded; the plots and slices below use 0.5."
    how = card.threshold_rule or "how it was chosen is not recorded"
    return (
        f"Decision threshold: {card.decision_threshold:.4g} (a score at or above it is "
        f"flagged positive); chosen by: {how}."
    )


def gates(card: CardInputs) -> Section:
    """Each gate's verdict, the comparison with the champion, and the outcome."""
    blocks: list[Block] = []
    if card.gates:
        rows = tuple(
            (
                g.gate,
                "PASS" if g.passed else "FAIL",
                number(g.value),
                number(g.threshold),
                g.detail or "",
            )
            for g in card.gates
        )
        blocks.append(Table(("gate", "verdict", "value", "threshold", "detail"), rows))
    else:
        blocks.append(Paragraph("No gates were evaluated for this version."))
    if card.champion is not None:
        c = card.champion
        blocks.append(
            Paragraph(
                f"Against the champion v{c.champion_version} on the same holdout: {c.metric} "
                f"{c.candidate_value:.4g} (candidate) vs {c.champion_value:.4g} (champion); "
                f"the candidate was better in {c.confidence:.1%} of the bootstrap resamples."
            )
        )
    blocks.append(Paragraph(f"Outcome: {card.outcome.rstrip('.')}."))
    return Section("Promotion gates", tuple(blocks))


def label_delay_sentence(card: CardInputs) -> str:
    """The caveat on labels that arrive late."""
    if card.label_delay is None:
        return "The label delay is not recorded; late labels may be missing from the holdout."
    delay = format_duration(card.label_delay)
    return (
        f"Labels arrive up to {delay} after the event: the holdout holds only events whose "
        f"label delay had passed at the cut-off, so the newest {delay} of events are not "
        "evaluated, and the model's behaviour on them is seen only by monitoring."
    )
