"""streamops features service.

Stateful per-entity windowed features from {p}.events.valid to {p}.features (faust-
streaming).
"""
