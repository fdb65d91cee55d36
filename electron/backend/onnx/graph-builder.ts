// Builds ONNX models in code (no Python): a small, typed layer over the ONNX protobuf schema.
// The schema is embedded (a faithful subset of onnx.proto, IR version 8) and compiled by protobufjs at load,
// so the app needs no generated code and the same definitions decode third-party models for inlining.
import protobuf from 'protobufjs';

const ONNX_PROTO = `
syntax = "proto2";
package onnx;
message AttributeProto {
  enum AttributeType { UNDEFINED = 0; FLOAT = 1; INT = 2; STRING = 3; TENSOR = 4; GRAPH = 5; SPARSE_TENSOR = 11;
    TYPE_PROTO = 13; FLOATS = 6; INTS = 7; STRINGS = 8; TENSORS = 9; GRAPHS = 10; SPARSE_TENSORS = 12; TYPE_PROTOS = 14; }
  optional string name = 1; optional string ref_attr_name = 21; optional string doc_string = 13;
  optional AttributeType type = 20; optional float f = 2; optional int64 i = 3; optional bytes s = 4;
  optional TensorProto t = 5; optional GraphProto g = 6; optional SparseTensorProto sparse_tensor = 22;
  optional TypeProto tp = 14; repeated float floats = 7; repeated int64 ints = 8; repeated bytes strings = 9;
  repeated TensorProto tensors = 10; repeated GraphProto graphs = 11; repeated SparseTensorProto sparse_tensors = 23;
  repeated TypeProto type_protos = 15;
}
message ValueInfoProto { optional string name = 1; optional TypeProto type = 2; optional string doc_string = 3; }
message NodeProto {
  repeated string input = 1; repeated string output = 2; optional string name = 3; optional string op_type = 4;
  optional string domain = 7; repeated AttributeProto attribute = 5; optional string doc_string = 6;
}
message TrainingInfoProto {
  optional GraphProto initialization = 1; optional GraphProto algorithm = 2;
  repeated StringStringEntryProto initialization_binding = 3; repeated StringStringEntryProto update_binding = 4;
}
message ModelProto {
  optional int64 ir_version = 1; repeated OperatorSetIdProto opset_import = 8; optional string producer_name = 2;
  optional string producer_version = 3; optional string domain = 4; optional int64 model_version = 5;
  optional string doc_string = 6; optional GraphProto graph = 7; repeated StringStringEntryProto metadata_props = 14;
  repeated TrainingInfoProto training_info = 20; repeated FunctionProto functions = 25;
}
message StringStringEntryProto { optional string key = 1; optional string value = 2; }
message TensorAnnotation { optional string tensor_name = 1; repeated StringStringEntryProto quant_parameter_tensor_names = 2; }
message GraphProto {
  repeated NodeProto node = 1; optional string name = 2; repeated TensorProto initializer = 5;
  repeated SparseTensorProto sparse_initializer = 15; optional string doc_string = 10; repeated ValueInfoProto input = 11;
  repeated ValueInfoProto output = 12; repeated ValueInfoProto value_info = 13;
  repeated TensorAnnotation quantization_annotation = 14;
}
message TensorProto {
  message Segment { optional int64 begin = 1; optional int64 end = 2; }
  repeated int64 dims = 1; optional int32 data_type = 2; optional Segment segment = 3;
  repeated float float_data = 4 [packed = true]; repeated int32 int32_data = 5 [packed = true];
  repeated bytes string_data = 6; repeated int64 int64_data = 7 [packed = true]; optional string name = 8;
  optional string doc_string = 12; optional bytes raw_data = 9; repeated StringStringEntryProto external_data = 13;
  optional int32 data_location = 14; repeated double double_data = 10 [packed = true];
  repeated uint64 uint64_data = 11 [packed = true];
}
message SparseTensorProto { optional TensorProto values = 1; optional TensorProto indices = 2; repeated int64 dims = 3; }
message TensorShapeProto {
  message Dimension { oneof value { int64 dim_value = 1; string dim_param = 2; } optional string denotation = 3; }
  repeated Dimension dim = 1;
}
message TypeProto {
  message Tensor { optional int32 elem_type = 1; optional TensorShapeProto shape = 2; }
  message Sequence { optional TypeProto elem_type = 1; }
  message Map { optional int32 key_type = 1; optional TypeProto value_type = 2; }
  message Optional { optional TypeProto elem_type = 1; }
  message SparseTensor { optional int32 elem_type = 1; optional TensorShapeProto shape = 2; }
  oneof value { Tensor tensor_type = 1; Sequence sequence_type = 4; Map map_type = 5; Optional optional_type = 9;
    SparseTensor sparse_tensor_type = 8; }
  optional string denotation = 6;
}
message OperatorSetIdProto { optional string domain = 1; optional int64 version = 2; }
message FunctionProto {
  optional string name = 1; repeated string input = 4; repeated string output = 5; repeated string attribute = 6;
  repeated NodeProto node = 7; optional string doc_string = 8; repeated OperatorSetIdProto opset_import = 9;
  optional string domain = 10;
}
`;

const root = protobuf.parse(ONNX_PROTO, { keepCase: true }).root;
const ModelProtoType = root.lookupType('onnx.ModelProto');

// Plain-object shapes of the protobuf messages we create or rewrite (fields as in onnx.proto).
export interface TensorProto {
  name?: string; dims?: (number | Long)[]; data_type?: number; raw_data?: Uint8Array;
  float_data?: number[]; int32_data?: number[]; int64_data?: (number | Long)[]; string_data?: Uint8Array[];
  double_data?: number[]; uint64_data?: (number | Long)[]; external_data?: unknown[]; data_location?: number;
}
export interface AttributeProto {
  name: string; type: number; f?: number; i?: number | Long; s?: Uint8Array; t?: TensorProto; g?: GraphProto;
  floats?: number[]; ints?: (number | Long)[]; strings?: Uint8Array[]; tensors?: TensorProto[]; graphs?: GraphProto[];
  ref_attr_name?: string; [other: string]: unknown;
}
export interface NodeProto { input: string[]; output: string[]; name?: string; op_type: string; domain?: string; attribute?: AttributeProto[] }
export interface ValueInfoProto { name: string; type?: unknown; doc_string?: string }
export interface GraphProto {
  node: NodeProto[]; name?: string; initializer: TensorProto[]; input: ValueInfoProto[]; output: ValueInfoProto[];
  value_info?: ValueInfoProto[]; sparse_initializer?: unknown[]; [other: string]: unknown;
}
export interface ModelProto {
  ir_version?: number | Long; opset_import?: { domain?: string; version?: number | Long }[]; graph?: GraphProto;
  metadata_props?: { key: string; value: string }[]; functions?: unknown[]; [other: string]: unknown;
}
interface Long { toNumber(): number }

export type OnnxElemType = 'float32' | 'int64' | 'int32' | 'bool' | 'string' | 'int8' | 'uint8';
const ELEM_TYPE_CODE: Record<OnnxElemType, number> = { float32: 1, uint8: 2, int8: 3, int32: 6, int64: 7, string: 8, bool: 9 };

export type TensorData = Float32Array | BigInt64Array | Int32Array | Int8Array | Uint8Array;
export interface TensorValue { data: TensorData; dims: number[]; type?: OnnxElemType }

/** An attribute with its ONNX type stated; build them with int(), ints(), float(), floats(), str(), strs(), tensor(). */
export type AttrValue =
  | { kind: 'int'; value: number }
  | { kind: 'ints'; value: number[] }
  | { kind: 'float'; value: number }
  | { kind: 'floats'; value: number[] | Float32Array }
  | { kind: 'string'; value: string }
  | { kind: 'strings'; value: string[] }
  | { kind: 'tensor'; value: TensorValue }
  | { kind: 'graph'; value: GraphProto };

/** Plain JS values are accepted where the ONNX type is unambiguous (strings, Float32Array) or given by the op schema (see FLOAT_ATTRIBUTES). */
export type AttrInput = AttrValue | number | number[] | string | string[] | Float32Array | { tensor: TensorValue };

export const int = (value: number): AttrValue => ({ kind: 'int', value });
export const ints = (value: number[]): AttrValue => ({ kind: 'ints', value });
export const float = (value: number): AttrValue => ({ kind: 'float', value });
export const floats = (value: number[] | Float32Array): AttrValue => ({ kind: 'floats', value });
export const str = (value: string): AttrValue => ({ kind: 'string', value });
export const strs = (value: string[]): AttrValue => ({ kind: 'strings', value });
export const tensor = (data: TensorData, dims: number[], type?: OnnxElemType): AttrValue => ({ kind: 'tensor', value: { data, dims, type } });

// Attributes whose ONNX schema type is FLOAT/FLOATS, for the ops we use; a plain number anywhere else is an INT.
const FLOAT_ATTRIBUTES: Record<string, readonly string[]> = {
  LayerNormalization: ['epsilon'], BatchNormalization: ['epsilon', 'momentum'], InstanceNormalization: ['epsilon'],
  GroupNormalization: ['epsilon'], SkipLayerNormalization: ['epsilon'], Gemm: ['alpha', 'beta'],
  LeakyRelu: ['alpha'], Elu: ['alpha'], Celu: ['alpha'], Selu: ['alpha', 'gamma'], HardSigmoid: ['alpha', 'beta'],
  ThresholdedRelu: ['alpha'], Shrink: ['bias', 'lambd'], TfIdfVectorizer: ['weights'],
  Constant: ['value_float', 'value_floats'], RandomNormal: ['mean', 'scale', 'seed'], RandomUniform: ['low', 'high', 'seed'],
  Attention: ['mask_filter_value', 'scale'],
};

const textEncoder = new globalThis.TextEncoder();

function elemTypeOf(data: TensorData, declared?: OnnxElemType): OnnxElemType {
  if (declared) return declared;
  if (data instanceof Float32Array) return 'float32';
  if (data instanceof BigInt64Array) return 'int64';
  if (data instanceof Int32Array) return 'int32';
  if (data instanceof Int8Array) return 'int8';
  return 'uint8';
}

function tensorProto(name: string, value: TensorValue): TensorProto {
  const count = value.dims.reduce((a, b) => a * b, 1);
  if (count !== value.data.length) {
    throw new Error(`ONNX tensor "${name}": dims [${value.dims.join(', ')}] hold ${count} values but ${value.data.length} were given`);
  }
  const type = elemTypeOf(value.data, value.type);
  // Typed arrays are little-endian on every platform Node supports, which is ONNX raw_data's byte order.
  const raw = new Uint8Array(value.data.buffer, value.data.byteOffset, value.data.byteLength).slice();
  return { name, dims: value.dims, data_type: ELEM_TYPE_CODE[type], raw_data: raw };
}

function shapeProto(type: OnnxElemType, shape: (number | string)[]) {
  return {
    tensor_type: {
      elem_type: ELEM_TYPE_CODE[type],
      shape: { dim: shape.map((d) => (typeof d === 'number' ? { dim_value: d } : { dim_param: d })) },
    },
  };
}

function attributeProto(opType: string, name: string, input: AttrInput): AttributeProto {
  const value = resolveAttr(opType, name, input);
  switch (value.kind) {
    case 'int': return { name, type: 2, i: value.value };
    case 'ints': return { name, type: 7, ints: value.value };
    case 'float': return { name, type: 1, f: value.value };
    case 'floats': return { name, type: 6, floats: Array.from(value.value) };
    case 'string': return { name, type: 3, s: textEncoder.encode(value.value) };
    case 'strings': return { name, type: 8, strings: value.value.map((s) => textEncoder.encode(s)) };
    case 'tensor': return { name, type: 4, t: tensorProto('', value.value) };
    case 'graph': return { name, type: 5, g: value.value };
  }
}

function resolveAttr(opType: string, name: string, input: AttrInput): AttrValue {
  if (typeof input === 'string') return str(input);
  if (input instanceof Float32Array) return floats(input);
  const isFloat = FLOAT_ATTRIBUTES[opType]?.includes(name) ?? false;
  const checkInt = (v: number) => {
    if (!Number.isInteger(v)) {
      throw new Error(`ONNX attribute ${opType}.${name}=${v} is not an integer and its type is unknown: wrap it with float()/floats()`);
    }
    return v;
  };
  if (typeof input === 'number') return isFloat ? float(input) : int(checkInt(input));
  if (Array.isArray(input)) {
    if (input.every((v) => typeof v === 'string')) return strs(input as string[]);
    const numbers = input as number[];
    return isFloat ? floats(numbers) : ints(numbers.map(checkInt));
  }
  if ('tensor' in input) return { kind: 'tensor', value: input.tensor };
  return input;
}

export function longToNumber(v: number | Long | undefined): number {
  if (v === undefined) return 0;
  return typeof v === 'number' ? v : v.toNumber();
}

export function decodeModel(bytes: Uint8Array): ModelProto {
  return ModelProtoType.toObject(ModelProtoType.decode(bytes), { defaults: false, arrays: true }) as ModelProto;
}

export function encodeModel(model: ModelProto): Uint8Array {
  const err = ModelProtoType.verify(model);
  if (err) throw new Error(`Invalid ONNX model: ${err}`);
  return ModelProtoType.encode(ModelProtoType.fromObject(model)).finish();
}

const DOMAIN_VERSIONS: Record<string, number> = { 'com.microsoft': 1, 'ai.onnx.ml': 3 };

export class OnnxGraphBuilder {
  readonly opset: number;
  private readonly nodes: NodeProto[] = [];
  private readonly initializers: TensorProto[] = [];
  private readonly inputs: ValueInfoProto[] = [];
  private readonly outputs: ValueInfoProto[] = [];
  private readonly usedNames = new Set<string>();
  private readonly domains = new Set<string>();
  private counter = 0;

  constructor(readonly graphName: string, opset = 17) {
    this.opset = opset;
  }

  /** A name not used yet in this graph, derived from `base`. */
  uniqueName(base: string): string {
    let name = base;
    while (this.usedNames.has(name)) name = `${base}_${++this.counter}`;
    this.usedNames.add(name);
    return name;
  }

  input(name: string, type: OnnxElemType, shape: (number | string)[]): string {
    if (this.usedNames.has(name)) throw new Error(`ONNX graph input "${name}" is already defined`);
    this.usedNames.add(name);
    this.inputs.push({ name, type: shapeProto(type, shape) });
    return name;
  }

  /** Declares `name` (an existing tensor, or a new name then produced by an Identity) as a graph output. */
  output(name: string, type: OnnxElemType, shape: (number | string)[]): string {
    this.outputs.push({ name, type: shapeProto(type, shape) });
    return name;
  }

  /** Produces the graph output `outputName` from tensor `source` (via Identity), so outputs get stable names. */
  outputFrom(source: string, outputName: string, type: OnnxElemType, shape: (number | string)[]): string {
    if (this.usedNames.has(outputName)) throw new Error(`ONNX graph output "${outputName}" is already defined`);
    this.usedNames.add(outputName);
    this.nodes.push({ input: [source], output: [outputName], name: this.uniqueName(`Identity_${outputName}`), op_type: 'Identity' });
    return this.output(outputName, type, shape);
  }

  initializer(name: string, data: TensorData, dims: number[], type?: OnnxElemType): string {
    const unique = this.uniqueName(name);
    this.initializers.push(tensorProto(unique, { data, dims, type }));
    return unique;
  }

  constantFloat(values: number[] | Float32Array, dims: number[]): string {
    return this.initializer('const_f', Float32Array.from(values), dims);
  }

  constantInt64(values: number[], dims: number[]): string {
    return this.initializer('const_i', BigInt64Array.from(values.map((v) => BigInt(v))), dims);
  }

  /** Appends a node; returns its output names (`outputs` = how many to create, or explicit names). */
  node(opType: string, inputs: string[], attrs: Record<string, AttrInput> = {}, outputs: number | string[] = 1, domain = ''): string[] {
    const id = ++this.counter;
    const outputNames = typeof outputs === 'number'
      ? Array.from({ length: outputs }, (_, i) => this.uniqueName(`${opType}_${id}${outputs > 1 ? `_${i}` : ''}`))
      : outputs.map((name) => {
        if (this.usedNames.has(name)) throw new Error(`ONNX tensor "${name}" is produced twice`);
        this.usedNames.add(name);
        return name;
      });
    const attribute = Object.entries(attrs).map(([name, value]) => attributeProto(opType, name, value));
    this.nodes.push({ input: inputs, output: outputNames, name: `${opType}_${id}`, op_type: opType, domain, attribute });
    if (domain) this.domains.add(domain);
    return outputNames;
  }

  /**
   * Copies another model's graph into this one: its graph inputs are bound to `inputBindings` (original name ->
   * tensor here), every other tensor and node gets `prefix`; returns original output name -> name here.
   * The inlined model must share this builder's default opset, since op semantics change between opsets.
   */
  inlineModel(bytes: Uint8Array, inputBindings: Record<string, string>, prefix: string): Record<string, string> {
    const model = decodeModel(bytes);
    const graph = model.graph;
    if (!graph) throw new Error('ONNX model to inline has no graph');
    for (const opset of model.opset_import ?? []) {
      const domain = opset.domain ?? '';
      const version = longToNumber(opset.version);
      if ((domain === '' || domain === 'ai.onnx') && version !== this.opset) {
        throw new Error(`Cannot inline an opset-${version} model into an opset-${this.opset} graph: build the graph with opset ${version}`);
      }
      if (domain && domain !== 'ai.onnx') this.domains.add(domain);
    }
    if ((model.functions?.length ?? 0) > 0) throw new Error('Cannot inline an ONNX model that defines local functions');
    if ((graph.sparse_initializer?.length ?? 0) > 0) throw new Error('Cannot inline an ONNX model with sparse initializers');
    if (graph.initializer.some((t) => (t.external_data?.length ?? 0) > 0)) {
      throw new Error('Cannot inline an ONNX model whose weights live in an external data file (save it with the weights inside the .onnx)');
    }
    const initializerNames = new Set(graph.initializer.map((t) => t.name ?? ''));
    const rename = new Map<string, string>();
    for (const input of graph.input) {
      if (initializerNames.has(input.name)) continue; // old-style models list initializers as inputs
      const bound = inputBindings[input.name];
      if (bound === undefined) throw new Error(`Inlined model input "${input.name}" is not bound`);
      rename.set(input.name, bound);
    }
    const mapName = (name: string) => {
      if (name === '') return name; // an omitted optional input
      let mapped = rename.get(name);
      if (mapped === undefined) {
        mapped = this.uniqueName(`${prefix}${name}`);
        rename.set(name, mapped);
      }
      return mapped;
    };
    const renameGraph = (g: GraphProto): void => {
      for (const t of g.initializer ?? []) t.name = mapName(t.name ?? '');
      for (const v of [...(g.input ?? []), ...(g.output ?? []), ...(g.value_info ?? [])]) v.name = mapName(v.name);
      for (const n of g.node ?? []) {
        n.input = n.input.map(mapName);
        n.output = n.output.map(mapName);
        n.name = this.uniqueName(`${prefix}${n.name || n.op_type}`);
        if (n.domain && n.domain !== 'ai.onnx') this.domains.add(n.domain);
        for (const a of n.attribute ?? []) {
          if (a.g) renameGraph(a.g);
          for (const sub of a.graphs ?? []) renameGraph(sub);
        }
      }
    };
    const outputNames = graph.output.map((o) => o.name);
    renameGraph(graph); // the bound graph inputs map to their bindings; everything else gets the prefix
    this.initializers.push(...graph.initializer);
    this.nodes.push(...graph.node);
    return Object.fromEntries(outputNames.map((name) => [name, mapName(name)]));
  }

  toModel(metadata: Record<string, string> = {}): ModelProto {
    const opsetImport = [{ domain: '', version: this.opset }];
    for (const domain of [...this.domains].sort()) {
      opsetImport.push({ domain, version: DOMAIN_VERSIONS[domain] ?? 1 });
    }
    return {
      ir_version: 8,
      opset_import: opsetImport,
      producer_name: 'finetune',
      producer_version: '0.1.0',
      graph: {
        name: this.graphName,
        node: this.nodes,
        initializer: this.initializers,
        input: this.inputs,
        output: this.outputs,
      },
      metadata_props: Object.entries(metadata).map(([key, value]) => ({ key, value })),
    };
  }

  toBytes(metadata: Record<string, string> = {}): Uint8Array {
    return encodeModel(this.toModel(metadata));
  }
}
