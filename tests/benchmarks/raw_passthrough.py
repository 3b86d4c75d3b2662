"""The ceiling: plain confluent-kafka consume + produce of the same bytes, no decoding at all.

    python -m tests.benchmarks.raw_passthrough --input IN --output OUT --group G

Offsets are committed asynchronously after each batch is handed to the producer (no
flush, no delivery check): the least work a consume-produce loop can do in Python.
"""

from __future__ import annotations

import argparse
import signal

from confluent_kafka import Consumer, Producer


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--input", required=True)
    parser.add_argument("--output", required=True)
    parser.add_argument("--group", required=True)
    parser.add_argument("--bootstrap-servers", default="localhost:9092")
    args = parser.parse_args()
    stopping = []
    signal.signal(signal.SIGTERM, lambda *_: stopping.append(True))

    consumer = Consumer(
        {
            "bootstrap.servers": args.bootstrap_servers,
            "group.id": args.group,
            "enable.auto.commit": False,
            "auto.offset.reset": "earliest",
            "isolation.level": "read_committed",
        }
    )
    producer = Producer(
        {
            "bootstrap.servers": args.bootstrap_servers,
            "linger.ms": 5,
            "compression.type": "lz4",
            "enable.idempotence": True,
        }
    )
    consumer.subscribe([args.input])
    produce, output = producer.produce, args.output
    while not stopping:
        messages = consumer.consume(5000, 0.2)
        for m in messages:
            while True:
                try:
                    produce(output, m.value(), m.key())
                    break
                except BufferError:
                    producer.poll(0.05)
        producer.poll(0)
        if messages:
            consumer.commit(asynchronous=True)
    producer.flush(30)
    consumer.close()


if __name__ == "__main__":
    main()
