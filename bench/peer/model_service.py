"""One model service as a Python team would write it: the bench's peer of ours.

confluent-kafka (librdkafka), onnxruntime and the project's own feature code
(models/train/features.py with models/features.json). Each loop: consume a batch of
`ride_started` records, score it in one onnxruntime call, produce one `prediction` per ride
(Confluent wire format, keyed by ride_id), flush, then commit the batch's offsets:
at-least-once, as the fleet's services.

    model_service.py duration --brokers 127.0.0.1:9092 \
        --registry http://127.0.0.1:8081/apis/ccompat/v7 \
        --rides-topic rides --predictions-topic predictions --group peer.duration

Every option falls back to the fleet's environment variable (KAFKA_BROKERS,
SCHEMA_REGISTRY_URL, TOPIC_RIDES, TOPIC_PREDICTIONS, GROUP_ID). Prints one JSON line
`{"event": "ready", ...}` on stdout once it has its partitions and a warm model; logs
JSON lines on stderr. SIGTERM or SIGINT: finishes the batch in hand, leaves the group.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import logging
import math
import os
import signal
import sys
import time

import fastavro
import numpy as np
import onnxruntime as ort
from confluent_kafka import Consumer, KafkaError, KafkaException, Producer, TopicPartition

from wire import REPO_ROOT, BadRecordError, Decoder, Encoder, Registry, load_schema

sys.path.insert(0, str(REPO_ROOT / "models" / "train"))
from features import build_features  # noqa: E402  (the project's feature code, defined once)

MODELS = REPO_ROOT / "models"
log = logging.getLogger("peer")


def parse_args(argv: list[str]) -> argparse.Namespace:
    env = os.environ.get
    p = argparse.ArgumentParser(description="A model service of the Python peer (confluent-kafka, onnxruntime).")
    p.add_argument("model", choices=["duration", "cost", "tip"])
    p.add_argument("--brokers", default=env("KAFKA_BROKERS", "127.0.0.1:9092"))
    p.add_argument("--registry", default=env("SCHEMA_REGISTRY_URL", "http://127.0.0.1:8081/apis/ccompat/v7"))
    p.add_argument("--rides-topic", default=env("TOPIC_RIDES", "ride_started"))
    p.add_argument("--predictions-topic", default=env("TOPIC_PREDICTIONS", "ride_predictions"))
    p.add_argument("--group", default=env("GROUP_ID"), help="consumer group (default: peer.<model>)")
    p.add_argument("--max-batch", type=int, default=int(env("PEER_MAX_BATCH", "1000")), help="rides per model call")
    return p.parse_args(argv)


class Model:
    """The served ONNX model of `name`, checked against its card, with the feature spec."""

    def __init__(self, name: str):
        manifest = json.loads((MODELS / "manifest.json").read_text(encoding="utf-8"))
        folder = MODELS / name / manifest[name]["current"]  # the version the fleet serves
        card = json.loads((folder / "model.json").read_text(encoding="utf-8"))
        onnx_bytes = (folder / card["onnx"]["file"]).read_bytes()
        if hashlib.sha256(onnx_bytes).hexdigest() != card["sha256"]:
            raise RuntimeError(f"{folder}/model.onnx does not match the sha256 of its card")
        self.spec = json.loads((MODELS / "features.json").read_text(encoding="utf-8"))
        if self.spec["names"] != card["features"]:
            raise RuntimeError(f"{folder}/model.json: features differ from models/features.json")
        options = ort.SessionOptions()
        # One thread each, as the fleet's services run by default (ONNX_INTRA_OP_THREADS=1).
        options.intra_op_num_threads = 1
        options.inter_op_num_threads = 1
        self._session = ort.InferenceSession(onnx_bytes, options, providers=["CPUExecutionProvider"])
        self._input = card["onnx"]["input"]["name"]
        # The point estimate is the card's `onnx.output`; versions from 2.0.0 also have the
        # bounds of a prediction interval (`onnx.interval`), read in the same call as ours do.
        interval = card["onnx"].get("interval")
        self._outputs = [card["onnx"]["output"]["name"]]
        if interval:
            self._outputs += [interval["lower"]["name"], interval["upper"]["name"]]
        self.name, self.version, self.unit = card["name"], card["version"], card["target"]["unit"]

    def score(self, rides: list[dict]) -> tuple[np.ndarray, np.ndarray | None, np.ndarray | None]:
        """(point estimates, lower bounds, upper bounds) of the rides, in one session call;
        the bounds are None for a model version without an interval."""
        features = build_features(self.spec, rides)
        out = [v.reshape(-1) for v in self._session.run(self._outputs, {self._input: features})]
        return (out[0], out[1], out[2]) if len(out) == 3 else (out[0], None, None)

    def warm(self) -> None:
        """A first call before joining: onnxruntime's first run is slower than the rest."""
        width = len(self.spec["names"])
        self._session.run(self._outputs, {self._input: np.zeros((1, width), dtype=np.float32)})


class Delivery:
    """Delivery reports of one batch: librdkafka reports every message, failed or not."""

    def __init__(self):
        self.errors: list[KafkaError] = []

    def __call__(self, err, _msg) -> None:
        if err is not None:
            self.errors.append(err)


def make_clients(args: argparse.Namespace, on_assign) -> tuple[Consumer, Producer]:
    consumer = Consumer(
        {
            "bootstrap.servers": args.brokers,
            "group.id": args.group,
            "client.id": f"peer-{args.model}",
            # At-least-once: offsets are committed by hand, after the batch's predictions
            # are acknowledged (never by librdkafka's timer, which would commit what has
            # merely been handed to the application).
            "enable.auto.commit": False,
            "auto.offset.reset": "earliest",
        }
    )
    consumer.subscribe([args.rides_topic], on_assign=on_assign)
    producer = Producer(
        {
            "bootstrap.servers": args.brokers,
            "client.id": f"peer-{args.model}",
            # Idempotent, so acks=all and retries without duplicates or reordering, as ours.
            "enable.idempotence": True,
            "acks": "all",
            # librdkafka's default partitioner hashes keys with CRC32; murmur2 is the Java
            # (and kafkajs) one, so the three predictions of a ride land on the partition the
            # ride's key maps to in every client.
            "partitioner": "murmur2_random",
        }
    )
    return consumer, producer


def next_batch(consumer: Consumer, max_batch: int) -> list:
    """Blocks until one record is there, then takes what librdkafka has already fetched.

    consume(n, timeout) returns only when n records arrived or the timeout passed, so a
    long timeout would hold every ride at low rates; poll() returns on the first record
    and consume(n, 0) drains the prefetched queue without waiting.
    """
    first = consumer.poll(1.0)
    if first is None:
        return []
    return [first] + consumer.consume(num_messages=max_batch - 1, timeout=0)


def run(args: argparse.Namespace) -> None:
    model = Model(args.model)
    model.warm()
    registry = Registry(args.registry)
    rides = Decoder(registry, load_schema("ride_started"))
    prediction_schema = load_schema("prediction")
    predictions = Encoder(prediction_schema, registry.register(f"{args.predictions_topic}-value", prediction_schema))
    dlq_topic = f"{args.rides_topic}.dlq"
    stopping = []
    for sig in (signal.SIGTERM, signal.SIGINT):
        signal.signal(sig, lambda *_: stopping.append(True))

    ready = []

    def on_assign(_consumer, partitions):
        if partitions and not ready:
            ready.append(True)
            versions = {"onnxruntime": ort.__version__, "numpy": np.__version__, "fastavro": fastavro.__version__}
            ready_line = {"event": "ready", "model": model.name, "partitions": len(partitions), "versions": versions}
            print(json.dumps(ready_line), flush=True)
        log.info("assigned %d partitions", len(partitions))

    consumer, producer = make_clients(args, on_assign)
    log.info("consuming %s in group %s", args.rides_topic, args.group)
    try:
        while not stopping:
            batch = next_batch(consumer, args.max_batch)
            if batch:
                handle(batch, model, rides, predictions, producer, args.predictions_topic, dlq_topic)
                commit(consumer, batch)
    finally:
        consumer.close()  # leaves the group at once instead of after the session timeout
        producer.flush(10)
        log.info("stopped: left group %s", args.group)


def handle(batch, model: Model, rides: Decoder, predictions: Encoder, producer: Producer, topic: str, dlq: str):
    """Scores the batch, produces its predictions (and its undecodable records to the DLQ), flushes."""
    good, keys = [], []
    delivery = Delivery()
    for msg in batch:
        if msg.error():
            # Fatal errors end the process (the records are read again after a restart);
            # the rest are librdkafka telling of transient broker trouble it handles itself.
            if msg.error().fatal():
                raise KafkaException(msg.error())
            log.warning("consumer error: %s", msg.error())
            continue
        try:
            ride = rides.decode(msg.value())
            if not msg.key():
                raise BadRecordError("record has no key (ride_id expected)")
        except BadRecordError as err:
            headers = [("error", str(err).encode()), ("source.topic", msg.topic().encode())]
            producer.produce(dlq, key=msg.key(), value=msg.value(), headers=headers, on_delivery=delivery)
            continue
        good.append(ride)
        keys.append(msg.key())
    if good:
        values, lower, upper = model.score(good)
        lower = lower.tolist() if lower is not None else [None] * len(good)
        upper = upper.tolist() if upper is not None else [None] * len(good)
        now = int(time.time() * 1000)
        for ride, key, value, low, high in zip(good, keys, values.tolist(), lower, upper, strict=True):
            if not math.isfinite(value):
                log.error("non-finite %s for ride %s", model.name, ride["ride_id"])
                continue
            record = {
                "ride_id": ride["ride_id"],
                "model": model.name,
                "model_version": model.version,
                "value": value,
                "unit": model.unit,
                "event_time": ride["event_time"],
                "predicted_at": now,
                "lower": low if low is not None and math.isfinite(low) else None,
                "upper": high if high is not None and math.isfinite(high) else None,
                "shadow": False,
            }
            producer.produce(topic, key=key, value=predictions.encode(record), on_delivery=delivery)
    # flush() sends at once whatever linger.ms says, and returns when every message of the
    # batch is acknowledged (acks=all) or failed; only then may the offsets be committed.
    remaining = producer.flush(30)
    if remaining or delivery.errors:
        # The idempotent producer already retried until message.timeout.ms: give up on the
        # batch without committing, so it is read and scored again after a restart.
        raise KafkaException(delivery.errors[0] if delivery.errors else KafkaError(KafkaError._TIMED_OUT))


def commit(consumer: Consumer, batch) -> None:
    """Commits, synchronously, the offset after the last record of each partition in the batch."""
    last: dict[tuple[str, int], int] = {}
    for msg in batch:
        if not msg.error():
            last[(msg.topic(), msg.partition())] = msg.offset()
    if not last:
        return
    offsets = [TopicPartition(t, p, o + 1) for (t, p), o in last.items()]
    try:
        consumer.commit(offsets=offsets, asynchronous=False)
    except KafkaException as err:
        # A rebalance took the partitions away: their new owner reads the batch again
        # (at-least-once). Anything else is not ours to swallow.
        code = err.args[0].code()
        if code not in (KafkaError.REBALANCE_IN_PROGRESS, KafkaError.ILLEGAL_GENERATION, KafkaError._NO_OFFSET):
            raise
        log.warning("commit skipped: %s", err)


class JsonLines(logging.Formatter):
    def __init__(self, service: str):
        super().__init__()
        self._service = service

    def format(self, record: logging.LogRecord) -> str:
        line = {"level": record.levelname.lower(), "time": int(record.created * 1000), "service": self._service}
        line["msg"] = record.getMessage()
        if record.exc_info:
            line["err"] = self.formatException(record.exc_info)
        return json.dumps(line)


def main(argv: list[str]) -> int:
    args = parse_args(argv)
    args.group = args.group or f"peer.{args.model}"
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(JsonLines(f"peer-{args.model}"))
    logging.basicConfig(level=logging.INFO, handlers=[handler])
    try:
        run(args)
    except Exception:
        log.exception("stopped by an error")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
