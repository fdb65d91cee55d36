// Int8 dynamic quantization of an exported graph, with standard ONNX ops only (so the checker and any runtime accept it):
// - MatMul by a constant weight W [K, N]: W becomes int8 with one symmetric scale per output column, and
//   y = Cast(MatMulInteger(DynamicQuantizeLinear(x), W_int8)) · (x_scale · w_scale). This is the pattern
//   onnxruntime's quantize_dynamic emits; ORT fuses it into its int8 CPU kernels (MatMulIntegerToFloat).
//   One DynamicQuantizeLinear is shared by every MatMul reading the same activation (e.g. Q, K and V).
// - Gather from a constant table [V, H] (token embeddings): int8 rows with one scale per row, gathered then rescaled.
// Small tensors (under minElements values) stay float: they cost little and are often sensitive (biases, norms).
import { decodeModel, encodeModel, longToNumber, type AttributeProto, type NodeProto, type TensorProto } from '../onnx/graph-builder.js';

export interface QuantizeReport {
  matMuls: number;
  gathers: number;
  floatBytesBefore: number;
  int8Bytes: number;
}

const FLOAT = 1;
const INT8 = 3;
const intAttr = (name: string, i: number): AttributeProto => ({ name, type: 2, i });

function floatValues(t: TensorProto): Float32Array {
  if (t.raw_data && t.raw_data.length > 0) {
    const copy = new Uint8Array(t.raw_data); // aligned copy
    return new Float32Array(copy.buffer, 0, copy.length / 4);
  }
  return Float32Array.from(t.float_data ?? []);
}

function rawTensor(name: string, dims: number[], dataType: number, data: Float32Array | Int8Array | BigInt64Array): TensorProto {
  return { name, dims, data_type: dataType, raw_data: new Uint8Array(data.buffer, data.byteOffset, data.byteLength).slice() };
}

/** Symmetric int8 with one scale per slice: `perRow` = scales over rows of [rows, cols], else over columns. */
function quantizeSymmetric(values: Float32Array, rows: number, cols: number, perRow: boolean): { q: Int8Array; scales: Float32Array } {
  const scales = new Float32Array(perRow ? rows : cols);
  for (let r = 0; r < rows; r++) {
    for (let c = 0; c < cols; c++) {
      const s = perRow ? r : c;
      scales[s] = Math.max(scales[s], Math.abs(values[r * cols + c]));
    }
  }
  for (let s = 0; s < scales.length; s++) scales[s] = scales[s] > 0 ? scales[s] / 127 : 1;
  const q = new Int8Array(values.length);
  for (let r = 0; r < rows; r++) {
    for (let c = 0; c < cols; c++) {
      const v = Math.round(values[r * cols + c] / scales[perRow ? r : c]);
      q[r * cols + c] = Math.max(-127, Math.min(127, v));
    }
  }
  return { q, scales };
}

export function quantizeModel(bytes: Uint8Array, minElements = 4096): { bytes: Uint8Array; report: QuantizeReport } {
  const model = decodeModel(bytes);
  const graph = model.graph!;
  const initializers = new Map(graph.initializer.map((t) => [t.name ?? '', t]));
  const usedNames = new Set<string>([...initializers.keys(), ...graph.node.flatMap((n) => [...n.input, ...n.output])]);
  let counter = 0;
  const fresh = (base: string) => {
    let name = `quant/${base}`;
    while (usedNames.has(name)) name = `quant/${base}_${++counter}`;
    usedNames.add(name);
    return name;
  };
  const consumers = new Map<string, number>();
  for (const n of graph.node) for (const input of n.input) consumers.set(input, (consumers.get(input) ?? 0) + 1);

  const candidate = (name: string): { t: TensorProto; rows: number; cols: number } | null => {
    const t = initializers.get(name);
    if (!t || t.data_type !== FLOAT || (t.dims?.length ?? 0) !== 2) return null;
    const [rows, cols] = t.dims!.map(longToNumber);
    return rows * cols >= minElements ? { t, rows, cols } : null;
  };

  const report: QuantizeReport = { matMuls: 0, gathers: 0, floatBytesBefore: 0, int8Bytes: 0 };
  const replaced = new Set<string>();
  const newInitializers: TensorProto[] = [];
  const quantizedActivations = new Map<string, [string, string, string]>();
  const nodes: NodeProto[] = [];
  const node = (op: string, input: string[], outputCount: number, attribute: AttributeProto[] = [], outputs?: string[]) => {
    const output = outputs ?? Array.from({ length: outputCount }, () => fresh(`${op}_out`));
    nodes.push({ op_type: op, input, output, name: fresh(op), domain: '', attribute });
    return output;
  };
  const recordQuantized = (t: TensorProto, values: number) => {
    replaced.add(t.name ?? '');
    report.floatBytesBefore += values * 4;
    report.int8Bytes += values;
  };

  for (const n of graph.node) {
    const weight = n.op_type === 'MatMul' ? candidate(n.input[1]) : null;
    const gatherAxis = n.op_type === 'Gather' ? longToNumber(n.attribute?.find((a) => a.name === 'axis')?.i) : -1;
    const table = n.op_type === 'Gather' && gatherAxis === 0 ? candidate(n.input[0]) : null;
    if (weight && consumers.get(n.input[1]) === 1) {
      const { q, scales } = quantizeSymmetric(floatValues(weight.t), weight.rows, weight.cols, false);
      const qName = fresh(`${weight.t.name}_int8`);
      const scaleName = fresh(`${weight.t.name}_scale`);
      newInitializers.push(rawTensor(qName, [weight.rows, weight.cols], INT8, q), rawTensor(scaleName, [weight.cols], FLOAT, scales));
      let activation = quantizedActivations.get(n.input[0]);
      if (!activation) {
        activation = node('DynamicQuantizeLinear', [n.input[0]], 3) as [string, string, string];
        quantizedActivations.set(n.input[0], activation);
      }
      const [xq, xScale, xZeroPoint] = activation;
      const [product] = node('MatMulInteger', [xq, qName, xZeroPoint], 1);
      const [productFloat] = node('Cast', [product], 1, [intAttr('to', FLOAT)]);
      const [combinedScale] = node('Mul', [xScale, scaleName], 1);
      node('Mul', [productFloat, combinedScale], 1, [], n.output);
      recordQuantized(weight.t, weight.rows * weight.cols);
      report.matMuls++;
    } else if (table && consumers.get(n.input[0]) === 1) {
      const { q, scales } = quantizeSymmetric(floatValues(table.t), table.rows, table.cols, true);
      const qName = fresh(`${table.t.name}_int8`);
      const scaleName = fresh(`${table.t.name}_scale`);
      const lastAxis = fresh('last_axis');
      newInitializers.push(rawTensor(qName, [table.rows, table.cols], INT8, q), rawTensor(scaleName, [table.rows], FLOAT, scales),
        rawTensor(lastAxis, [1], 7, BigInt64Array.from([-1n])));
      const [rowsInt8] = node('Gather', [qName, n.input[1]], 1, [intAttr('axis', 0)]);
      const [rowsFloat] = node('Cast', [rowsInt8], 1, [intAttr('to', FLOAT)]);
      const [rowScales] = node('Gather', [scaleName, n.input[1]], 1, [intAttr('axis', 0)]);
      const [rowScalesExpanded] = node('Unsqueeze', [rowScales, lastAxis], 1);
      node('Mul', [rowsFloat, rowScalesExpanded], 1, [], n.output);
      recordQuantized(table.t, table.rows * table.cols);
      report.gathers++;
    } else {
      nodes.push(n);
    }
  }
  graph.node = nodes;
  graph.initializer = [...graph.initializer.filter((t) => !replaced.has(t.name ?? '')), ...newInitializers];
  return { bytes: encodeModel(model), report };
}
