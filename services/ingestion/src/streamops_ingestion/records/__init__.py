"""Input objects to event records: field checks, conversions, id / time / source stamps, PII."""
