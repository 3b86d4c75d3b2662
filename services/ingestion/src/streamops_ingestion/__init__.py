"""streamops ingestion service.

HTTP and file ingestion into ``{p}.events.raw``: schema checks with field-level errors,
event id / ingest time / source stamps, the spec's PII treatment, Avro to Kafka.
``streamops run ingestion`` runs `service.run`; ``streamops ingest`` is `cli.ingest`.
"""
