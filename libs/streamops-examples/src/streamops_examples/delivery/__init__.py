"""The delivery example's data: a seeded generator of food-delivery orders whose label is
the delivery time in minutes (regression), known when the food arrives; injected
data-quality faults; scenarios that drift the orders (rush hour in the rain) or the
delivery times (a slower courier fleet); and the producer behind ``streamops produce
delivery``.

`generator.generate` is pure (no Kafka); `streamops_examples.connect.open_producer` wires a
`produce.DeliveryProducer` to a cluster.
"""
