"""ONNX export (one file per model version: the point estimate and its interval bounds),
ONNX scoring and deterministic JSON writing."""

from __future__ import annotations

import hashlib
import json

import numpy as np
import onnx
import onnxruntime as ort
from onnx import TensorProto, compose, helper, numpy_helper
from skl2onnx import convert_sklearn
from skl2onnx.common.data_types import FloatTensorType

INPUT_NAME = "features"
OPSET = {"": 17, "ai.onnx.ml": 3}
LOWER, UPPER = "lower", "upper"
OFFSET_NAME = "interval_offset"


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


def interval_onnx(point, lower, upper, offset: np.float32, n_features: int, name: str,
                  version: str) -> onnx.ModelProto:
    """One graph of the point model and the two quantile models, merged from their
    skl2onnx graphs: input `features` [N, F]; outputs, in this order, the point estimate
    (the point graph's output, `variable` [N, 1]), then `lower` and `upper` ([N, 1] each):
    lower = Min(lower_raw - offset, point), upper = Max(upper_raw + offset, point), so
    lower <= point <= upper for every row (offset: the float32 calibration offset)."""
    base = to_onnx(point, n_features, name, version)
    point_out = base.graph.output[0].name
    nodes = list(base.graph.node)
    initializers = list(base.graph.initializer)
    opsets = {o.domain: o.version for o in base.opset_import}
    raw = {}
    for bound, model in ((LOWER, lower), (UPPER, upper)):
        part = compose.add_prefix(to_onnx(model, n_features, name, version), f"{bound}_",
                                  rename_inputs=False)
        nodes += list(part.graph.node)
        initializers += list(part.graph.initializer)
        raw[bound] = part.graph.output[0].name
        for o in part.opset_import:
            opsets[o.domain] = max(opsets.get(o.domain, 0), o.version)
    initializers.append(numpy_helper.from_array(np.asarray(offset, dtype=np.float32), OFFSET_NAME))
    nodes += [
        helper.make_node("Sub", [raw[LOWER], OFFSET_NAME], ["lower_calibrated"], name="lower_offset"),
        helper.make_node("Add", [raw[UPPER], OFFSET_NAME], ["upper_calibrated"], name="upper_offset"),
        helper.make_node("Min", ["lower_calibrated", point_out], [LOWER], name="lower_clamp"),
        helper.make_node("Max", ["upper_calibrated", point_out], [UPPER], name="upper_clamp"),
    ]
    outputs = [base.graph.output[0]] + [
        helper.make_tensor_value_info(bound, TensorProto.FLOAT, [None, 1]) for bound in (LOWER, UPPER)
    ]
    graph = helper.make_graph(nodes, base.graph.name, list(base.graph.input), outputs,
                              initializer=initializers, doc_string=base.graph.doc_string)
    merged = helper.make_model(
        graph,
        opset_imports=[helper.make_opsetid(d, v) for d, v in sorted(opsets.items())],
        ir_version=base.ir_version,
        producer_name=base.producer_name,
        producer_version=base.producer_version,
        domain=base.domain,
        model_version=base.model_version,
        doc_string=base.doc_string,
    )
    onnx.checker.check_model(merged)
    return merged


def export_info(onx: onnx.ModelProto, n_features: int) -> dict:
    """The card's I/O description of a graph (its first output is the point estimate)."""
    output = onx.graph.output[0]
    dims = [d.dim_value if d.dim_value else None for d in output.type.tensor_type.shape.dim]
    return {
        "input": {"name": INPUT_NAME, "dtype": "float32", "shape": [None, n_features]},
        "output": {"name": output.name, "dtype": "float32", "shape": dims},
        "opset": dict(OPSET),
    }


def serialize(onx: onnx.ModelProto) -> bytes:
    """Deterministic serialisation: the same graph gives the same bytes."""
    return onx.SerializeToString(deterministic=True)


def sha256_bytes(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def _session(model) -> ort.InferenceSession:
    options = ort.SessionOptions()
    options.intra_op_num_threads = 1
    options.inter_op_num_threads = 1
    source = model if isinstance(model, (bytes, str)) else str(model)
    return ort.InferenceSession(source, options, providers=["CPUExecutionProvider"])


def onnx_outputs(model, X: np.ndarray) -> dict:
    """Every output of a model (a path or its bytes) on a float32 matrix: name -> float32 [N]."""
    session = _session(model)
    names = [o.name for o in session.get_outputs()]
    values = session.run(names, {INPUT_NAME: X.astype(np.float32)})
    return {n: np.asarray(v, dtype=np.float32).reshape(-1) for n, v in zip(names, values)}


def onnx_predict(model, X: np.ndarray) -> np.ndarray:
    """The point estimate (the first output) of a model (a path or its bytes) on a float32
    matrix, scored by onnxruntime; float32 [N]."""
    session = _session(model)
    first = session.get_outputs()[0].name
    (out,) = session.run([first], {INPUT_NAME: X.astype(np.float32)})
    return np.asarray(out, dtype=np.float32).reshape(-1)


def json_text(value) -> str:
    """JSON with sorted keys and a final newline, so reruns are byte-identical."""
    return json.dumps(value, indent=2, sort_keys=True, ensure_ascii=False) + "\n"


def write_json(path: str, value) -> None:
    """Writes json_text(value)."""
    with open(path, "w", encoding="utf-8") as handle:
        handle.write(json_text(value))


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
