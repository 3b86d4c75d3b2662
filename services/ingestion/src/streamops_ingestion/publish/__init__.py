"""Producing to Kafka, and connecting a pipeline (topics, schema registration)."""
