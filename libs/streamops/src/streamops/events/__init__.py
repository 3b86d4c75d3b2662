"""Raw events of a pipeline checked and prepared against its event schema.

An input object (a JSON value, or CSV text) becomes a record that fits the event schema,
or is rejected with every field-level error named: unknown, missing and wrongly typed
fields, timestamps in epoch units or ISO-8601, the id stamped when absent in a format the
spec's own rules accept, ``ingest_time`` and ``source`` stamped, and the spec's PII
treatment applied last. Pure code (no Kafka, no registry), shared so that ingestion and
serving accept and shape an event exactly alike: `prepare.RecordPreparer` is the entry.
"""
