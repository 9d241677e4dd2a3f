"""The bench's ride source: `ride_started` records from a plain librdkafka producer.

The rides of models/data/test_rides.csv (read by the project's models/train/data.py) with
fresh ids and event_time = the moment each is handed to the producer, at a given rate, in
the Confluent wire format under the schema registered for `<topic>-value`, keyed by ride_id.
Neither the fleet's client nor the peer's services produce them, so both sides of the
bench are fed by the same standard client.

    ride_producer.py --brokers 127.0.0.1:9092 \
        --registry http://127.0.0.1:8081/apis/ccompat/v7 --topic rides

One long-lived process (its connections stay warm between steps) driven by JSON lines on
stdin: `{"rate": 200, "count": 2000, "prefix": "r200"}` sends rides `r200-0` … `r200-1999`
at 200 per second and, once all are acknowledged, answers on stdout with
`{"sent": 2000, "failed": 0, "seconds": 9.99}` (seconds from the first ride to the last).
Prints `{"event": "ready"}` first. Ends at the end of stdin.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import sys
import time

import confluent_kafka
from confluent_kafka import Producer

from wire import REPO_ROOT, Encoder, Registry, load_schema

sys.path.insert(0, str(REPO_ROOT / "models" / "train"))
from data import load_rides  # noqa: E402  (the project's CSV reader)


def parse_args(argv: list[str]) -> argparse.Namespace:
    env = os.environ.get
    p = argparse.ArgumentParser(description="Produces ride_started records at a given rate (librdkafka).")
    p.add_argument("--brokers", default=env("KAFKA_BROKERS", "127.0.0.1:9092"))
    p.add_argument("--registry", default=env("SCHEMA_REGISTRY_URL", "http://127.0.0.1:8081/apis/ccompat/v7"))
    p.add_argument("--topic", default=env("TOPIC_RIDES", "ride_started"))
    p.add_argument("--rides", default=str(REPO_ROOT / "models" / "data" / "test_rides.csv"))
    p.add_argument(
        "--linger-ms",
        type=float,
        default=0,
        help="librdkafka linger.ms (its default is 5): event_time is stamped before the ride waits in the "
        "producer, so any linger counts in ride→decision latency",
    )
    return p.parse_args(argv)


class Failures:
    """Counts failed deliveries (the idempotent producer has retried them until message.timeout.ms)."""

    def __init__(self):
        self.count = 0

    def __call__(self, err, _msg) -> None:
        if err is not None:
            self.count += 1


def send(producer: Producer, encoder: Encoder, topic: str, templates: list[dict], command: dict) -> dict:
    """Sends `count` rides at `rate` per second, then waits for every acknowledgement."""
    rate, count, prefix = float(command["rate"]), int(command["count"]), str(command["prefix"])
    failures = Failures()
    start = time.perf_counter()
    last = start
    for n in range(count):
        due = start + n / rate
        wait = due - time.perf_counter()
        if wait > 0:
            time.sleep(wait)
        ride = dict(templates[n % len(templates)], ride_id=f"{prefix}-{n}", event_time=int(time.time() * 1000))
        producer.produce(topic, key=ride["ride_id"].encode(), value=encoder.encode(ride), on_delivery=failures)
        # Serves delivery reports as they come, so the queue of reports stays short.
        producer.poll(0)
        last = time.perf_counter()
    remaining = producer.flush(60)
    return {"sent": count, "failed": failures.count + remaining, "seconds": last - start}


def main(argv: list[str]) -> int:
    args = parse_args(argv)
    _, templates, _ = load_rides(args.rides)
    schema = load_schema("ride_started")
    encoder = Encoder(schema, Registry(args.registry).register(f"{args.topic}-value", schema))
    producer = Producer(
        {
            "bootstrap.servers": args.brokers,
            "client.id": "bench-ride-producer",
            "enable.idempotence": True,
            "acks": "all",
            "linger.ms": args.linger_ms,
            # The Java (and kafkajs) key hash, as the fleet's own producers partition.
            "partitioner": "murmur2_random",
        }
    )
    # Metadata of the topic now, so the first ride of the first step does not wait for it.
    producer.list_topics(args.topic, timeout=10)
    versions = {
        "python": platform.python_version(),
        "confluentKafka": confluent_kafka.__version__,
        "librdkafka": confluent_kafka.libversion()[0],
    }
    print(json.dumps({"event": "ready", "rides": len(templates), "versions": versions}), flush=True)
    for line in sys.stdin:
        if line.strip():
            print(json.dumps(send(producer, encoder, args.topic, templates, json.loads(line))), flush=True)
    producer.flush(60)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
