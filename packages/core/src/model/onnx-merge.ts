/**
 * Merges ONNX models that read the same input into one model, so that one onnxruntime call
 * runs them all: each call has a fixed cost (about as much as a tree ensemble's work on a
 * few rows), which a caller running several models on the same rows pays once instead of
 * once per model. The graphs are copied node for node, every name but the shared input
 * prefixed with its model's name: the merged model computes exactly what the models do.
 *
 * Only the parts of the format these models use are read (protobuf wire format, field
 * numbers of onnx.proto); a model with anything else in its graph (sparse initializers,
 * subgraphs, quantization annotations…) is refused, and the caller runs the models apart.
 */

/** The name that `name` (an output, or any name but the input) of model `model` has in a merged model. */
export const mergedOutputName = (model: string, name: string): string => `${model}/${name}`;

/** A protobuf field as read: its number, wire type and raw bytes (value or payload). */
interface Field {
  no: number;
  wire: number;
  /** The varint's value (wire type 0). */
  int?: bigint;
  /** The payload (wire type 2), or the raw fixed-size bytes (wire types 1 and 5). */
  bytes: Uint8Array;
}

// Field numbers of onnx.proto (ModelProto, GraphProto, NodeProto, ValueInfoProto, TensorProto, AttributeProto).
const MODEL = { irVersion: 1, opsetImport: 8, graph: 7, functions: 25, trainingInfo: 20 } as const;
const GRAPH = { node: 1, name: 2, initializer: 5, docString: 10, input: 11, output: 12, valueInfo: 13 } as const;
const NODE = { input: 1, output: 2, name: 3, attribute: 5 } as const;
const VALUE_INFO_NAME = 1;
const TENSOR_NAME = 8;
const ATTRIBUTE = { graph: 6, graphs: 11 } as const;

/** A model to merge: its name (the prefix of its names in the merged graph) and its bytes. */
export interface OnnxPart {
  name: string;
  onnx: Uint8Array;
}

function readVarint(buf: Uint8Array, at: number): [bigint, number] {
  let value = 0n;
  let shift = 0n;
  for (;;) {
    if (at >= buf.length) throw new Error('truncated varint');
    const byte = buf[at++];
    value |= BigInt(byte & 0x7f) << shift;
    if ((byte & 0x80) === 0) return [value, at];
    shift += 7n;
    if (shift > 63n) throw new Error('varint longer than 64 bits');
  }
}

function readFields(buf: Uint8Array): Field[] {
  const fields: Field[] = [];
  let at = 0;
  while (at < buf.length) {
    const [tag, next] = readVarint(buf, at);
    at = next;
    const no = Number(tag >> 3n);
    const wire = Number(tag & 7n);
    if (wire === 0) {
      const start = at;
      const [int, end] = readVarint(buf, at);
      fields.push({ no, wire, int, bytes: buf.subarray(start, end) });
      at = end;
    } else if (wire === 2) {
      const [length, start] = readVarint(buf, at);
      const end = start + Number(length);
      if (end > buf.length) throw new Error(`field ${no} runs past the end`);
      fields.push({ no, wire, bytes: buf.subarray(start, end) });
      at = end;
    } else if (wire === 1 || wire === 5) {
      const end = at + (wire === 1 ? 8 : 4);
      if (end > buf.length) throw new Error(`field ${no} runs past the end`);
      fields.push({ no, wire, bytes: buf.subarray(at, end) });
      at = end;
    } else {
      throw new Error(`unsupported wire type ${wire} (field ${no})`);
    }
  }
  return fields;
}

function varint(value: bigint): number[] {
  const out: number[] = [];
  let v = value;
  do {
    const byte = Number(v & 0x7fn);
    v >>= 7n;
    out.push(v > 0n ? byte | 0x80 : byte);
  } while (v > 0n);
  return out;
}

function writeFields(fields: readonly Field[]): Uint8Array {
  const parts: Uint8Array[] = [];
  for (const f of fields) {
    parts.push(Uint8Array.from(varint(BigInt((f.no << 3) | f.wire))));
    if (f.wire === 2) parts.push(Uint8Array.from(varint(BigInt(f.bytes.length))));
    parts.push(f.bytes);
  }
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

const text = (bytes: Uint8Array): string => Buffer.from(bytes).toString('utf8');
const utf8 = (s: string): Uint8Array => new Uint8Array(Buffer.from(s, 'utf8'));
const stringField = (no: number, s: string): Field => ({ no, wire: 2, bytes: utf8(s) });
const messageField = (no: number, fields: readonly Field[]): Field => ({ no, wire: 2, bytes: writeFields(fields) });
const sameBytes = (a: Uint8Array, b: Uint8Array): boolean => Buffer.from(a).equals(Buffer.from(b));

/** A copy of `message` with its string field `no` (every occurrence) renamed by `rename`. */
function renamed(message: Uint8Array, no: number, rename: (name: string) => string): Field[] {
  return readFields(message).map((f) => (f.no === no && f.wire === 2 ? stringField(no, rename(text(f.bytes))) : f));
}

function renamedNode(node: Uint8Array, rename: (name: string) => string, model: string): Field[] {
  return readFields(node).map((f) => {
    if (f.no === NODE.attribute) {
      const nested = readFields(f.bytes).some((a) => a.no === ATTRIBUTE.graph || a.no === ATTRIBUTE.graphs);
      if (nested) throw new Error(`model "${model}" has a node with a subgraph`);
      return f;
    }
    // An empty input or output name is an omitted optional one: it stays empty.
    if ((f.no === NODE.input || f.no === NODE.output || f.no === NODE.name) && f.bytes.length > 0) {
      return stringField(f.no, rename(text(f.bytes)));
    }
    return f;
  });
}

interface Graph {
  input: Uint8Array;
  body: Field[];
}

/** The graph of one model, every name but its input's prefixed with `<name>/`. */
function prefixedGraph(part: OnnxPart, graph: Uint8Array): Graph {
  const fields = readFields(graph);
  const unsupported = fields.find((f) => !Object.values(GRAPH).includes(f.no as never));
  if (unsupported) throw new Error(`model "${part.name}": graph field ${unsupported.no} is not supported`);
  const inputs = fields.filter((f) => f.no === GRAPH.input);
  if (inputs.length !== 1) throw new Error(`model "${part.name}" has ${inputs.length} inputs, not 1`);
  const inputName = text(readFields(inputs[0].bytes).find((f) => f.no === VALUE_INFO_NAME)?.bytes ?? new Uint8Array());
  const rename = (name: string): string => (name === inputName ? name : mergedOutputName(part.name, name));
  const body: Field[] = [];
  for (const f of fields) {
    if (f.no === GRAPH.node) body.push(messageField(f.no, renamedNode(f.bytes, rename, part.name)));
    else if (f.no === GRAPH.initializer) body.push(messageField(f.no, renamed(f.bytes, TENSOR_NAME, rename)));
    else if (f.no === GRAPH.output || f.no === GRAPH.valueInfo) {
      body.push(messageField(f.no, renamed(f.bytes, VALUE_INFO_NAME, rename)));
    }
  }
  return { input: inputs[0].bytes, body };
}

/** One model's fields: its graph apart, and the rest (opsets, IR version, producer…). */
function modelParts(part: OnnxPart): { graph: Uint8Array; rest: Field[] } {
  const fields = readFields(part.onnx);
  const graphs = fields.filter((f) => f.no === MODEL.graph);
  if (graphs.length !== 1) throw new Error(`model "${part.name}" has ${graphs.length} graphs`);
  if (fields.some((f) => f.no === MODEL.functions || f.no === MODEL.trainingInfo)) {
    throw new Error(`model "${part.name}" has local functions or training information`);
  }
  return { graph: graphs[0].bytes, rest: fields.filter((f) => f.no !== MODEL.graph) };
}

const OPSET = { domain: 1, version: 2 } as const;

/** The IR version of a model's fields, as written (absent: empty). */
const irVersion = (rest: readonly Field[]): string => rest.find((f) => f.no === MODEL.irVersion)?.int?.toString() ?? '';

/**
 * The opsets the models import, each domain once (an exporter may list one twice).
 * @throws Error when two models import different versions of one domain.
 */
function opsetImports(parts: readonly OnnxPart[], rests: ReadonlyArray<readonly Field[]>): Field[] {
  const versions = new Map<string, { version: bigint; model: string; field: Field }>();
  rests.forEach((rest, i) => {
    for (const f of rest.filter((g) => g.no === MODEL.opsetImport)) {
      const opset = readFields(f.bytes);
      const domain = text(opset.find((g) => g.no === OPSET.domain)?.bytes ?? new Uint8Array());
      const version = opset.find((g) => g.no === OPSET.version)?.int ?? 0n;
      const seen = versions.get(domain);
      if (seen && seen.version !== version) {
        throw new Error(
          `model "${parts[i].name}" imports opset ${version} of domain "${domain}", model "${seen.model}" opset ${seen.version}`,
        );
      }
      if (!seen) versions.set(domain, { version, model: parts[i].name, field: f });
    }
  });
  return [...versions.values()].map((v) => v.field);
}

/**
 * One ONNX model running all of `parts` on their shared input: output `<name>/<output>` for
 * each output of each part. The first part's model fields (IR version, producer…) are kept,
 * with the opsets all parts import.
 * @throws Error saying why the parts cannot be merged: two of one name, a different input
 *   or IR version, different versions of one opset, a graph with more than one input, or
 *   parts of the format not read here.
 */
export function mergeOnnxModels(parts: readonly OnnxPart[]): Uint8Array {
  if (parts.length === 0) throw new Error('no models to merge');
  const twice = parts.find((p, i) => parts.findIndex((q) => q.name === p.name) !== i);
  if (twice) throw new Error(`two models are named "${twice.name}": their names would collide`);
  const models = parts.map(modelParts);
  const graphs = parts.map((part, i) => prefixedGraph(part, models[i].graph));
  parts.forEach((part, i) => {
    if (!sameBytes(graphs[i].input, graphs[0].input)) {
      throw new Error(`model "${part.name}" reads another input than "${parts[0].name}"`);
    }
    if (irVersion(models[i].rest) !== irVersion(models[0].rest)) {
      throw new Error(`model "${part.name}" has another IR version than "${parts[0].name}"`);
    }
  });
  const opsets = opsetImports(
    parts,
    models.map((m) => m.rest),
  );
  const graph: Field[] = [
    stringField(GRAPH.name, parts.map((p) => p.name).join('+')),
    { no: GRAPH.input, wire: 2, bytes: graphs[0].input },
    ...graphs.flatMap((g) => g.body),
  ];
  const rest = models[0].rest.filter((f) => f.no !== MODEL.opsetImport);
  return writeFields([...rest, ...opsets, messageField(MODEL.graph, graph)]);
}
