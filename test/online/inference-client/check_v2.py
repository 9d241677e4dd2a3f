"""Calls an Open Inference Protocol v2 server with NVIDIA Triton's Python HTTP client.

Usage: python check_v2.py HOST:PORT REQUEST_JSON

REQUEST_JSON holds {"models": [...], "rows": N, "width": F, "features": [N*F floats]}. Prints
one JSON object on stdout: what the client read from each endpoint, the outputs of each
model for the rows (binary and JSON tensor data, unversioned and versioned), and the status
and message of the errors it was given. test/online/inference-client.test.ts checks them.
"""

import json
import sys

import numpy as np
import tritonclient.http as httpclient
from tritonclient.utils import InferenceServerException


def failure(call):
    """The status and message of the InferenceServerException `call` raises (None if it does not)."""
    try:
        call()
    except InferenceServerException as err:
        return {"status": err.status(), "message": err.message()}
    return None


def infer(client, model, x, binary, version=""):
    """The model's output for `x`, sent and received as binary or as JSON tensor data."""
    tensor = httpclient.InferInput("features", list(x.shape), "FP32")
    tensor.set_data_from_numpy(x, binary_data=binary)
    wanted = httpclient.InferRequestedOutput("variable", binary_data=binary)
    result = client.infer(model, [tensor], outputs=[wanted], model_version=version)
    response = result.get_response()
    return {
        "values": result.as_numpy("variable").reshape(-1).astype(float).tolist(),
        "model_name": response["model_name"],
        "model_version": response.get("model_version"),
    }


def main():
    url, request_file = sys.argv[1], sys.argv[2]
    with open(request_file, encoding="utf-8") as f:
        request = json.load(f)
    x = np.asarray(request["features"], dtype=np.float32).reshape(request["rows"], request["width"])
    client = httpclient.InferenceServerClient(url=url)
    out = {
        "live": client.is_server_live(),
        "ready": client.is_server_ready(),
        "server": client.get_server_metadata(),
        "models": {},
    }
    for model in request["models"]:
        metadata = client.get_model_metadata(model)
        version = metadata["versions"][0]
        out["models"][model] = {
            "ready": client.is_model_ready(model),
            "version_ready": client.is_model_ready(model, model_version=version),
            "unknown_version_ready": client.is_model_ready(model, model_version="0.0.0-none"),
            "metadata": metadata,
            "binary": infer(client, model, x, True),
            "json": infer(client, model, x, False),
            "versioned": infer(client, model, x, True, version),
        }
    wrong_width = np.zeros((1, 3), dtype=np.float32)
    out["errors"] = {
        "unknown_model": failure(lambda: client.get_model_metadata("no-such-model")),
        "wrong_shape": failure(lambda: infer(client, request["models"][0], wrong_width, True)),
    }
    client.close()
    print(json.dumps(out))


if __name__ == "__main__":
    main()
