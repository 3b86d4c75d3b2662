"""streamops ingestion service.

HTTP and file ingestion into {p}.events.raw: schema checks, event ids, PII treatment.
"""
