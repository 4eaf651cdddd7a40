/**
 * The smallest useful ONNX model, built in code so that `deforum gpu check` needs no model file: `y = x + x` on a
 * float32 [1, 4] tensor. A session for it on an execution provider proves the provider loads, and running it proves
 * the device computes. Encoded by hand as protobuf (onnx.proto3: ModelProto, GraphProto, NodeProto, ValueInfoProto).
 */

export const PROBE_INPUT = 'x';
export const PROBE_OUTPUT = 'y';
export const PROBE_SHAPE = [1, 4] as const;

// onnx.proto: TensorProto.DataType.FLOAT; IR version 8 and opset 17 load in every onnxruntime since 1.14
const FLOAT = 1;
const IR_VERSION = 8;
const OPSET = 17;

type Field = Uint8Array;

function varint(value: number): number[] {
  const bytes: number[] = [];
  let rest = value;
  while (rest > 0x7f) {
    bytes.push((rest & 0x7f) | 0x80);
    rest = Math.floor(rest / 128);
  }
  bytes.push(rest);
  return bytes;
}

/** A varint field (wire type 0). */
function intField(field: number, value: number): Field {
  return Uint8Array.from([...varint(field << 3), ...varint(value)]);
}

/** A length-delimited field (wire type 2): a string or an embedded message. */
function bytesField(field: number, content: Uint8Array | string): Field {
  const bytes = typeof content === 'string' ? new TextEncoder().encode(content) : content;
  return Uint8Array.from([...varint((field << 3) | 2), ...varint(bytes.length), ...bytes]);
}

function message(...fields: Field[]): Uint8Array {
  const out = new Uint8Array(fields.reduce((n, f) => n + f.length, 0));
  let at = 0;
  for (const f of fields) {
    out.set(f, at);
    at += f.length;
  }
  return out;
}

/** ValueInfoProto { name = 1, type = 2 { tensor_type = 1 { elem_type = 1, shape = 2 { dim = 1 { dim_value = 1 } } } } } */
function floatTensorInfo(name: string, shape: readonly number[]): Uint8Array {
  const dims = shape.map((d) => bytesField(1, message(intField(1, d))));
  const tensorType = message(intField(1, FLOAT), bytesField(2, message(...dims)));
  return message(bytesField(1, name), bytesField(2, message(bytesField(1, tensorType))));
}

/** The serialized ModelProto of `y = x + x`. */
export function doublingModel(): Uint8Array {
  // NodeProto { input = 1, output = 2, name = 3, op_type = 4 }
  const node = message(bytesField(1, PROBE_INPUT), bytesField(1, PROBE_INPUT), bytesField(2, PROBE_OUTPUT), bytesField(3, 'double'), bytesField(4, 'Add'));
  // GraphProto { node = 1, name = 2, input = 11, output = 12 }
  const graph = message(
    bytesField(1, node),
    bytesField(2, 'deforum-gpu-probe'),
    bytesField(11, floatTensorInfo(PROBE_INPUT, PROBE_SHAPE)),
    bytesField(12, floatTensorInfo(PROBE_OUTPUT, PROBE_SHAPE)),
  );
  // ModelProto { ir_version = 1, producer_name = 2, graph = 7, opset_import = 8 { domain = 1, version = 2 } }
  return message(intField(1, IR_VERSION), bytesField(2, 'deforum-ts'), bytesField(7, graph), bytesField(8, message(bytesField(1, ''), intField(2, OPSET))));
}
