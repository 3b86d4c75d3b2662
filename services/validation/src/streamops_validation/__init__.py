"""streamops validation service.

Validates {p}.events.raw against the pipeline spec's expectations, per micro-batch:
valid events to {p}.events.valid, failures with every failed rule to {p}.events.dlq,
data-quality alerts (opened and resolved, one per rule, judged on the whole stream by
one owner from every replica's partial reports) to {p}.alerts; labels (if the spec has a
labels section) checked on the way to {p}.labels.valid, bad ones dead-lettered with their
reasons (`labels.py`). `service.run` is what ``streamops run validation`` runs;
`validator.Validator` is the transform.
"""
