"""A readable summary of a checked pipeline, for `streamops spec check`."""

from __future__ import annotations

from streamops.pipeline.checks import field_types
from streamops.pipeline.durations import format_duration
from streamops.pipeline.loading import Pipeline
from streamops.topics import pipeline_topics


def summarize(pipeline: Pipeline) -> str:
    """Several lines saying what the spec makes the services do."""
    spec, schema = pipeline.spec, pipeline.event_schema
    event = spec.event
    full = f"{schema.get('namespace', '')}.{schema['name']}".lstrip(".")
    out = [
        f"pipeline {spec.name}: {spec.description}".rstrip(": "),
        f"  events   {full} ({len(field_types(schema))} fields); id {event.id_field}, "
        f"key {event.key_field}, time {event.time_field}",
    ]
    if spec.labels:
        out.append(
            f"  labels   on {spec.label_topic}, joined on {spec.labels.join_key}, expected "
            f"within {format_duration(spec.labels.expected_delay)}"
            + ("; unlabelled after that = negative" if spec.labels.negative_after_delay else "")
            + f"; kind {spec.labels.kind}"
        )
    expectations = spec.expectations
    rules = sum(len(f.rules()) for f in expectations.fields.values())
    out.append(f"  checks   {rules} rules on {len(expectations.fields)} fields")
    for name, rule in expectations.fields.items():
        out.append(f"             {name}: {', '.join(rule.rules())}")
    if expectations.window:
        w = expectations.window
        parts = [f"every {format_duration(w.size)}"]
        if w.row_count:
            parts.append(f"row count {w.row_count.min or 0}..{w.row_count.max or 'any'}")
        parts += [f"null rate {k} <= {v:g}" for k, v in w.null_rate.items()]
        parts += [f"{k} unique" for k in w.unique]
        out.append(f"  windows  {'; '.join(parts)}")
    a = expectations.alerts
    out.append(
        f"  alerts   a rule failing on > {a.failure_rate:.1%} of a {format_duration(a.window)} "
        f"window (>= {a.min_records} records) opens one alert; < {a.resolve_below:.1%} resolves it"
    )
    if spec.pii.fields:
        out.append(
            "  pii      "
            + ", ".join(f"{k} {v}" for k, v in spec.pii.fields.items())
            + f" (salt from ${spec.pii.salt_env})"
        )
    if spec.features:
        f = spec.features
        aggregates = [
            a.function if a.field is None else f"{a.function} {a.field}" for a in f.aggregates
        ]
        windows = ", ".join(format_duration(w) for w in f.windows)
        out.append(
            f"  features per {event.key_field} over {windows}"
            f" (event time, grace {format_duration(f.grace)}): {', '.join(aggregates)}"
            + (f"; per event {', '.join(f.event)}" if f.event else "")
        )
    reserved = [k for k in ("model", "drift", "retraining") if getattr(spec, k)]
    if reserved:
        out.append(f"  reserved {', '.join(reserved)} (read by the services that own them)")
    out.append("  topics   " + ", ".join(t.name for t in pipeline_topics(spec.name)))
    return "\n".join(out)
