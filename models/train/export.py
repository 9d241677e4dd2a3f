"""ONNX export, ONNX scoring and deterministic JSON writing."""

from __future__ import annotations

import hashlib
import json

import numpy as np
import onnxruntime as ort
from skl2onnx import convert_sklearn
from skl2onnx.common.data_types import FloatTensorType

INPUT_NAME = "features"
OPSET = {"": 17, "ai.onnx.ml": 3}


def to_onnx(model, n_features: int, name: str, version: str):
    """The fitted model as an ONNX ModelProto (float32 input `features` [N, F])."""
    onx = convert_sklearn(
        model,
        name=name,
        initial_types=[(INPUT_NAME, FloatTensorType([None, n_features]))],
        target_opset=OPSET,
    )
    onx.graph.doc_string = f"fleet {name} model {version}"
    onx.model_version = int(version.split(".")[0])
    return onx


def onnx_bytes(model, n_features: int, name: str, version: str) -> bytes:
    """The bytes export_onnx would write for this model (deterministic serialisation)."""
    return to_onnx(model, n_features, name, version).SerializeToString(deterministic=True)


def export_onnx(model, n_features: int, name: str, version: str, path: str) -> dict:
    """Writes the fitted model as ONNX (float32 input `features` [N, F]); returns I/O info."""
    onx = to_onnx(model, n_features, name, version)
    data = onx.SerializeToString(deterministic=True)
    with open(path, "wb") as handle:
        handle.write(data)
    output = onx.graph.output[0]
    dims = [d.dim_value if d.dim_value else None for d in output.type.tensor_type.shape.dim]
    return {
        "input": {"name": INPUT_NAME, "dtype": "float32", "shape": [None, n_features]},
        "output": {"name": output.name, "dtype": "float32", "shape": dims},
        "opset": dict(OPSET),
        "sha256": hashlib.sha256(data).hexdigest(),
    }


def onnx_predict(path: str, X: np.ndarray) -> np.ndarray:
    """Scores a float32 matrix with onnxruntime on the exported file; returns float32 [N]."""
    options = ort.SessionOptions()
    options.intra_op_num_threads = 1
    options.inter_op_num_threads = 1
    session = ort.InferenceSession(path, options, providers=["CPUExecutionProvider"])
    (out,) = session.run(None, {INPUT_NAME: X.astype(np.float32)})
    return np.asarray(out, dtype=np.float32).reshape(-1)


def write_json(path: str, value) -> None:
    """Writes JSON with sorted keys and a final newline, so reruns are byte-identical."""
    with open(path, "w", encoding="utf-8") as handle:
        json.dump(value, handle, indent=2, sort_keys=True, ensure_ascii=False)
        handle.write("\n")


def write_compact_json(path: str, value) -> None:
    """Writes large JSON (the golden file) with one entry per line."""
    with open(path, "w", encoding="utf-8") as handle:
        handle.write("{\n")
        items = list(value.items())
        for k, (key, item) in enumerate(items):
            sep = "," if k < len(items) - 1 else ""
            if isinstance(item, list):
                handle.write(f"  {json.dumps(key)}: [\n")
                for j, entry in enumerate(item):
                    end = "," if j < len(item) - 1 else ""
                    handle.write(f"    {json.dumps(entry, ensure_ascii=False)}{end}\n")
                handle.write(f"  ]{sep}\n")
            else:
                handle.write(f"  {json.dumps(key)}: {json.dumps(item, sort_keys=True)}{sep}\n")
        handle.write("}\n")
