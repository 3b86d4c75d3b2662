"""streamops validation service.

Validates {p}.events.raw against the pipeline spec's expectations, per micro-batch:
valid events to {p}.events.valid, failures with every failed rule to {p}.events.dlq,
data-quality alerts (opened and resolved, one per rule) to {p}.alerts.
"""

from streamops_validation.validator import Validator

__all__ = ["Validator"]
