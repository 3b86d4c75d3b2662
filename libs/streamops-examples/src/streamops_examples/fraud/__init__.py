"""The fraud example's data: a seeded generator of card transactions with fraud patterns,
delayed chargeback labels and injected data-quality faults, scenarios that drift it, and
the producer behind ``streamops produce fraud``.

`generator.generate` is pure (no Kafka); `streamops_examples.connect.open_producer` wires a
`produce.FraudProducer` to a cluster.
"""
