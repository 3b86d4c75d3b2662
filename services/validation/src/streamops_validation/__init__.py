"""streamops validation service.

Validates {p}.events.raw against the pipeline spec's expectations; dead-letters failures.
"""
