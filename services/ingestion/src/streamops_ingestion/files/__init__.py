"""`streamops ingest`: CSV, Parquet and JSONL files into events.raw."""
