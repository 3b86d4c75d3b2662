"""A readable summary of a checked pipeline, for `streamops spec check`."""

from __future__ import annotations

from streamops.features.definition import feature_set
from streamops.pipeline.checks import field_types
from streamops.pipeline.durations import format_duration
from streamops.pipeline.loading import Pipeline
from streamops.pipeline.model_spec import higher_is_better
from streamops.pipeline.spec import PipelineSpec
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
    out += model_lines(spec, len(feature_set(pipeline).names) if spec.features else None)
    if spec.drift is not None:
        d = spec.drift
        out.append(
            f"  drift    windows of {format_duration(d.window.size)} every "
            f"{format_duration(d.window.step)} (event time) against the champion's training "
            f"rows: numbers {d.tests.numeric} > {d.threshold(d.tests.numeric):g}, categories "
            f"{d.tests.categorical} {'<' if d.tests.categorical == 'chi2' else '>'} "
            f"{d.threshold(d.tests.categorical):g}; scores {d.prediction.test}; "
            f"errors {d.concept.detector}; metrics over the last {d.performance.window} labels"
        )
    out.append("  topics   " + ", ".join(t.name for t in pipeline_topics(spec.name)))
    return "\n".join(out)


def model_lines(spec: PipelineSpec, feature_count: int | None = None) -> list[str]:
    """What training fits (on how many features), how it is gated, when it retrains."""
    model, out = spec.model, []
    if model is not None and spec.labels is not None:
        task = model.task_for(spec.labels.kind)
        metric = model.metric_for(task)
        params = ", ".join(f"{k}={v}" for k, v in model.params.items())
        features = (
            ", ".join(model.features)
            if model.features != "all"
            else f"all {feature_count} features"
            if feature_count is not None
            else "all features"
        )
        direction = "higher" if higher_is_better(metric) else "lower"
        threshold = model.threshold.rule if model.threshold else "max_f1"
        out.append(
            f"  model    {model.name or spec.name}: {task} {model.algorithm}"
            + (f" ({params})" if params else "")
            + f" on {features}; {metric} ({direction} is better)"
            + (f", threshold {threshold}" if task == "binary" else "")
            + f"; seed {model.seed}"
        )
        d, s, g = model.data, model.split, model.gates
        data = [f"last {format_duration(d.lookback)}"] if d.lookback else ["all rows"]
        if d.negative_sample is not None:
            data.append(
                f"negatives kept {d.negative_sample:.0%} (weight {1 / d.negative_sample:g})"
            )
        if d.recent_weight:
            w = d.recent_weight
            data.append(f"after drift the last {format_duration(w.window)} weighs {w.factor:g}x")
        train = 1 - s.validation - s.holdout
        out.append(
            f"           data: {', '.join(data)}; split {train:.0%} train, {s.validation:.0%} "
            f"validation, {s.holdout:.0%} holdout (newest rows whose label delay has passed)"
        )
        out.append(
            f"           gates: >= {g.min_labels} labels"
            # the training job's every_class_present gate: classifiers only
            + (f", >= {g.min_positives} per class" if task != "regression" else "")
            + "; ONNX "
            f"parity within {g.parity_tolerance:g}; beat the champion's {metric} by > "
            f"{g.margin:g} in {g.confidence:.0%} of {g.bootstrap} paired bootstrap resamples"
        )
    r = spec.retraining
    if r is not None:
        when = [f"first model at {r.min_labels} labels"]
        if r.every_labels:
            when.append(f"every {r.every_labels} new labels")
        if r.schedule:
            when.append(f"every {format_duration(r.schedule)} of event time")
        if r.on_alert:
            when.append(f"on {', '.join(r.on_alert)} alerts")
        out.append(
            f"  retrain  {'; '.join(when)}; at most one job per {format_duration(r.cooldown)}; "
            f"approval {r.approval}"
        )
        if r.probation is not None:
            out.append(
                f"  probation  a new champion is rolled back if the one it replaced does "
                f"better on its first {r.probation.min_labels} labels "
                f"({r.probation.confidence:.0%} sure)"
            )
    return out
