"""Avro records in the Confluent wire format, with a schema registry's Confluent API.

What the peer's processes share: the registry client (Apicurio's `/apis/ccompat/v7`, the
one the fleet uses), the project's schemas (`schemas/*.avsc`) and the wire format (magic
byte 0, the 4-byte big-endian schema id, the Avro binary body).
"""

from __future__ import annotations

import io
import json
import struct
import time
import urllib.error
import urllib.request
from pathlib import Path

import fastavro

REPO_ROOT = Path(__file__).resolve().parents[2]
SCHEMAS = REPO_ROOT / "schemas"
_HEADER = struct.Struct(">bI")
_CONTENT_TYPE = "application/vnd.schemaregistry.v1+json"


def load_schema(name: str) -> dict:
    """The project's schema `schemas/<name>.avsc` as JSON."""
    return json.loads((SCHEMAS / f"{name}.avsc").read_text(encoding="utf-8"))


def _plain_longs(schema):
    """`schema` with `timestamp-millis` read as the long it is on the wire.

    fastavro turns timestamp-millis into datetime objects on read; the features and the
    prediction want the epoch milliseconds the records carry, so the logical type is
    dropped (the bytes are the same).
    """
    if isinstance(schema, dict):
        return {k: _plain_longs(v) for k, v in schema.items() if k != "logicalType"}
    if isinstance(schema, list):
        return [_plain_longs(s) for s in schema]
    return schema


class BadRecordError(ValueError):
    """A record that no retry can decode: not the wire format, an unknown schema id, a broken body."""


class Registry:
    """A Confluent-API schema registry: register under a subject, look schemas up by id."""

    def __init__(self, url: str):
        self._url = url.rstrip("/")
        self._by_id: dict[int, dict] = {}

    def _call(self, method: str, path: str, body: dict | None = None) -> dict:
        data = None if body is None else json.dumps(body).encode()
        request = urllib.request.Request(
            f"{self._url}{path}", data=data, method=method, headers={"Content-Type": _CONTENT_TYPE}
        )
        with urllib.request.urlopen(request, timeout=10) as response:
            return json.loads(response.read() or b"{}")

    def register(self, subject: str, schema: dict) -> int:
        """Sets BACKWARD compatibility on `subject` (as the fleet does), registers `schema`, returns its id."""
        quoted = urllib.request.quote(subject, safe="")
        for attempt in range(4):
            try:
                self._call("PUT", f"/config/{quoted}", {"compatibility": "BACKWARD"})
                break
            except urllib.error.HTTPError as err:
                # Apicurio answers 409 when another process created the rule at the same
                # moment; the rule exists then, and a second PUT updates it.
                if err.code != 409 or attempt == 3:
                    raise
                time.sleep(0.1)
        body = {"schema": json.dumps(schema, separators=(",", ":"), ensure_ascii=False)}
        return int(self._call("POST", f"/subjects/{quoted}/versions", body)["id"])

    def parsed_by_id(self, schema_id: int) -> dict:
        """The parsed writer schema of `schema_id`, fetched once and cached.

        Raises BadRecordError when the registry has no such id; any other failure (the registry
        unreachable) propagates, as a retry may succeed.
        """
        parsed = self._by_id.get(schema_id)
        if parsed is None:
            try:
                text = self._call("GET", f"/schemas/ids/{schema_id}")["schema"]
            except urllib.error.HTTPError as err:
                if err.code == 404:
                    raise BadRecordError(f"schema id {schema_id} is not registered") from err
                raise
            parsed = fastavro.parse_schema(_plain_longs(json.loads(text)))
            self._by_id[schema_id] = parsed
        return parsed


class Encoder:
    """Writes records of one registered schema in the wire format."""

    def __init__(self, schema: dict, schema_id: int):
        self._parsed = fastavro.parse_schema(_plain_longs(schema))
        self._header = _HEADER.pack(0, schema_id)

    def encode(self, record: dict) -> bytes:
        out = io.BytesIO()
        out.write(self._header)
        fastavro.schemaless_writer(out, self._parsed, record)
        return out.getvalue()


class Decoder:
    """Reads wire-format records of any registered writer schema into the reader schema `schema`."""

    def __init__(self, registry: Registry, schema: dict):
        self._registry = registry
        self._reader = fastavro.parse_schema(_plain_longs(schema))

    def decode(self, value: bytes | None) -> dict:
        """The record in `value`; BadRecordError when it cannot be decoded."""
        if value is None or len(value) < _HEADER.size:
            raise BadRecordError("not a wire-format record (too short)")
        magic, schema_id = _HEADER.unpack_from(value)
        if magic != 0:
            raise BadRecordError(f"not a wire-format record (magic byte {magic})")
        writer = self._registry.parsed_by_id(schema_id)
        try:
            return fastavro.schemaless_reader(io.BytesIO(value[_HEADER.size :]), writer, self._reader)
        except Exception as err:
            raise BadRecordError(f"Avro body of schema id {schema_id} does not decode: {err}") from err
