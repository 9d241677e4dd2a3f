/**
 * Tensors of the Open Inference Protocol v2 (REST): the request's input as the model's
 * float32 matrix, and the model's values as the response's output tensor, as JSON data or
 * as binary data (the `binary_tensor_data` extension, which Triton's client uses by default).
 */
import { FleetError } from '@fleet/contract';
import type { ModelCard } from '@fleet/core';

/** A `$request_input` as the JSON schema admitted it. */
export interface RequestInput {
  name: string;
  shape: number[];
  datatype: string;
  parameters?: Record<string, unknown>;
  data?: unknown[];
}

/** A `$inference_request` as the JSON schema admitted it. */
export interface InferRequest {
  id?: string;
  parameters?: Record<string, unknown>;
  inputs: RequestInput[];
  outputs?: Array<{ name: string; parameters?: Record<string, unknown> }>;
}

/** The input the model reads: `rows` × `width` float32 values, row-major. */
export interface InputMatrix {
  features: Float32Array;
  rows: number;
}

const bad = (field: string, message: string): FleetError =>
  new FleetError('FLEET_INPUT_INVALID', `${field} ${message}`, { context: { field } });

/** Why a value is no FP32 input (NaN, ±Infinity, or past FP32's range, which rounds to ±Infinity). */
const NOT_FP32 = 'must be a finite number within FP32 range';

/** Copies flat or `[rows][width]`-nested JSON numbers into `out`, checking count and values. */
function readJsonData(data: unknown[], rows: number, width: number, out: Float32Array): void {
  let n = 0;
  const put = (value: unknown, at: string): void => {
    if (typeof value !== 'number' || !Number.isFinite(Math.fround(value))) throw bad(at, NOT_FP32);
    if (n < out.length) out[n] = value;
    n++;
  };
  data.forEach((item, i) => {
    if (!Array.isArray(item)) return put(item, `inputs[0].data[${i}]`);
    item.forEach((value, j) => put(value, `inputs[0].data[${i}][${j}]`));
  });
  if (n !== rows * width)
    throw bad('inputs[0].data', `holds ${n} values; shape [${rows}, ${width}] needs ${rows * width}`);
}

function readBinaryData(input: RequestInput, binary: Buffer | undefined, rows: number, width: number): Float32Array {
  const size = input.parameters?.binary_data_size;
  const expected = rows * width * 4;
  if (binary === undefined)
    throw bad('inputs[0].parameters.binary_data_size', 'is set but the body carries no binary data');
  if (size !== expected || binary.length !== expected) {
    throw bad('inputs[0].parameters.binary_data_size', `must be ${expected} bytes for shape [${rows}, ${width}] FP32`);
  }
  // A copy: the body's bytes need not be 4-byte aligned, and Float32Array reads the platform's order.
  const out = new Float32Array(rows * width);
  for (let i = 0; i < out.length; i++) {
    out[i] = binary.readFloatLE(i * 4);
    if (!Number.isFinite(out[i])) throw bad('inputs[0]', `binary value ${i} (${out[i]}) ${NOT_FP32}`);
  }
  return out;
}

/**
 * The model's input matrix from an inference request: one input, the model's input name,
 * `FP32`, shape `[N, F]` with F the model's features and 1 ≤ N ≤ `maxRows`; data as JSON
 * (flat or nested, row-major) or binary (little-endian, after the JSON header).
 * @throws FleetError FLEET_INPUT_INVALID naming the field.
 */
export function inputMatrix(request: InferRequest, card: ModelCard, maxRows: number, binary?: Buffer): InputMatrix {
  const width = card.features.length;
  const name = card.onnx.input.name;
  if (request.inputs.length !== 1)
    throw bad('inputs', `must hold one tensor, "${name}" (got ${request.inputs.length})`);
  const input = request.inputs[0];
  if (input.name !== name) throw bad('inputs[0].name', `must be "${name}", the model's input (got "${input.name}")`);
  if (input.datatype !== 'FP32') throw bad('inputs[0].datatype', `must be FP32 (got "${input.datatype}")`);
  const [rows, columns] = input.shape;
  if (input.shape.length !== 2 || columns !== width || rows < 1 || rows > maxRows) {
    throw bad('inputs[0].shape', `must be [N, ${width}] with 1 ≤ N ≤ ${maxRows} (got [${input.shape.join(', ')}])`);
  }
  for (const [i, output] of (request.outputs ?? []).entries()) {
    const known = card.onnx.output.name;
    if (output.name !== known)
      throw bad(`outputs[${i}].name`, `must be "${known}", the model's output (got "${output.name}")`);
  }
  if (input.parameters?.binary_data_size !== undefined)
    return { features: readBinaryData(input, binary, rows, width), rows };
  if (input.data === undefined)
    throw bad('inputs[0].data', 'is required (or binary data with parameters.binary_data_size)');
  const features = new Float32Array(rows * width);
  readJsonData(input.data, rows, width, features);
  return { features, rows };
}

/** Whether the response's output goes as binary data (per output, else the request's default). */
export function wantsBinaryOutput(request: InferRequest): boolean {
  const own = request.outputs?.[0]?.parameters?.binary_data;
  if (typeof own === 'boolean') return own;
  return request.parameters?.binary_data_output === true;
}

/** The `$inference_response` JSON, and the binary tail when the output goes as binary data. */
export function inferResponse(
  card: ModelCard,
  id: string,
  values: Float64Array,
  binary: boolean,
): { json: Record<string, unknown>; tail?: Buffer } {
  const output = { name: card.onnx.output.name, datatype: 'FP32', shape: [values.length, 1] };
  const head = { model_name: card.name, model_version: card.version, id };
  if (!binary) return { json: { ...head, outputs: [{ ...output, data: Array.from(values) }] } };
  const tail = Buffer.alloc(values.length * 4);
  values.forEach((v, i) => tail.writeFloatLE(v, i * 4));
  return { json: { ...head, outputs: [{ ...output, parameters: { binary_data_size: tail.length } }] }, tail };
}

/** The `$metadata_model_response` of a model. */
export function modelMetadata(card: ModelCard) {
  return {
    name: card.name,
    versions: [card.version],
    platform: 'onnx_onnxv1',
    inputs: [{ name: card.onnx.input.name, datatype: 'FP32', shape: [-1, card.features.length] }],
    outputs: [{ name: card.onnx.output.name, datatype: 'FP32', shape: [-1, 1] }],
  };
}
