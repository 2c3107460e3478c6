/**
 * A minimal GGUF (v3) writer, enough to produce a tiny llama-architecture model with random weights
 * for tests. Format: https://github.com/ggml-org/ggml/blob/master/docs/gguf.md
 */
import { writeFile } from 'node:fs/promises';

const GGUF_MAGIC = 0x46554747; // "GGUF" read as a little-endian uint32
const GGUF_VERSION = 3;
const ALIGNMENT = 32;

/** Metadata value types from the GGUF spec. */
const T = { UINT32: 4, INT32: 5, FLOAT32: 6, BOOL: 7, STRING: 8, ARRAY: 9 } as const;
const GGML_TYPE_F32 = 0;

export type GgufValue =
  | { type: 'u32'; value: number }
  | { type: 'i32'; value: number }
  | { type: 'f32'; value: number }
  | { type: 'bool'; value: boolean }
  | { type: 'string'; value: string }
  | { type: 'string[]'; value: readonly string[] }
  | { type: 'f32[]'; value: readonly number[] }
  | { type: 'i32[]'; value: readonly number[] };

export interface GgufTensor {
  name: string;
  /** ggml order: dims[0] is the fastest-varying (row length). */
  dims: readonly number[];
  data: Float32Array;
}

class ByteWriter {
  private chunks: Buffer[] = [];
  length = 0;
  push(buf: Buffer): void {
    this.chunks.push(buf);
    this.length += buf.length;
  }
  u32(v: number): void {
    const b = Buffer.alloc(4);
    b.writeUInt32LE(v);
    this.push(b);
  }
  i32(v: number): void {
    const b = Buffer.alloc(4);
    b.writeInt32LE(v);
    this.push(b);
  }
  u64(v: number): void {
    const b = Buffer.alloc(8);
    b.writeBigUInt64LE(BigInt(v));
    this.push(b);
  }
  f32(v: number): void {
    const b = Buffer.alloc(4);
    b.writeFloatLE(v);
    this.push(b);
  }
  str(s: string): void {
    const bytes = Buffer.from(s, 'utf8');
    this.u64(bytes.length);
    this.push(bytes);
  }
  pad(alignment: number): void {
    const rest = this.length % alignment;
    if (rest !== 0) this.push(Buffer.alloc(alignment - rest));
  }
  toBuffer(): Buffer {
    return Buffer.concat(this.chunks);
  }
}

function writeValue(w: ByteWriter, v: GgufValue): void {
  switch (v.type) {
    case 'u32':
      w.u32(T.UINT32);
      w.u32(v.value);
      return;
    case 'i32':
      w.u32(T.INT32);
      w.i32(v.value);
      return;
    case 'f32':
      w.u32(T.FLOAT32);
      w.f32(v.value);
      return;
    case 'bool':
      w.u32(T.BOOL);
      w.push(Buffer.from([v.value ? 1 : 0]));
      return;
    case 'string':
      w.u32(T.STRING);
      w.str(v.value);
      return;
    case 'string[]':
      w.u32(T.ARRAY);
      w.u32(T.STRING);
      w.u64(v.value.length);
      for (const s of v.value) w.str(s);
      return;
    case 'f32[]':
      w.u32(T.ARRAY);
      w.u32(T.FLOAT32);
      w.u64(v.value.length);
      for (const n of v.value) w.f32(n);
      return;
    case 'i32[]':
      w.u32(T.ARRAY);
      w.u32(T.INT32);
      w.u64(v.value.length);
      for (const n of v.value) w.i32(n);
      return;
  }
}

export function encodeGguf(metadata: Record<string, GgufValue>, tensors: readonly GgufTensor[]): Buffer {
  const w = new ByteWriter();
  w.u32(GGUF_MAGIC);
  w.u32(GGUF_VERSION);
  w.u64(tensors.length);
  const entries = Object.entries(metadata);
  w.u64(entries.length);
  for (const [key, value] of entries) {
    w.str(key);
    writeValue(w, value);
  }
  let offset = 0;
  for (const t of tensors) {
    const count = t.dims.reduce((a, b) => a * b, 1);
    if (count !== t.data.length)
      throw new Error(`tensor ${t.name}: dims say ${count}, data has ${t.data.length}`);
    w.str(t.name);
    w.u32(t.dims.length);
    for (const d of t.dims) w.u64(d);
    w.u32(GGML_TYPE_F32);
    w.u64(offset);
    offset += Math.ceil((count * 4) / ALIGNMENT) * ALIGNMENT;
  }
  w.pad(ALIGNMENT);
  for (const t of tensors) {
    w.push(Buffer.from(t.data.buffer, t.data.byteOffset, t.data.byteLength));
    w.pad(ALIGNMENT);
  }
  return w.toBuffer();
}

/** Deterministic PRNG (mulberry32) so the model, and so its greedy output, is the same every run. */
function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export interface TinyLlamaOptions {
  embedding?: number;
  heads?: number;
  layers?: number;
  feedForward?: number;
  contextLength?: number;
  seed?: number;
}

/** SentencePiece token types from llama.cpp. */
const TOKEN_NORMAL = 1;
const TOKEN_UNKNOWN = 2;
const TOKEN_CONTROL = 3;
const TOKEN_BYTE = 6;

/**
 * A llama-architecture model with a SentencePiece ("llama") vocabulary: <unk>, <s>, </s>, the 256 byte
 * fallback tokens (so any text tokenizes and any byte can be generated) and the printable ASCII characters.
 */
export function tinyLlamaGguf(opts: TinyLlamaOptions = {}): Buffer {
  const nEmbd = opts.embedding ?? 64;
  const nHead = opts.heads ?? 4;
  const nLayer = opts.layers ?? 1;
  const nFf = opts.feedForward ?? 128;
  const nCtx = opts.contextLength ?? 1024;
  const next = rng(opts.seed ?? 42);

  const tokens: string[] = ['<unk>', '<s>', '</s>'];
  const types: number[] = [TOKEN_UNKNOWN, TOKEN_CONTROL, TOKEN_CONTROL];
  for (let b = 0; b < 256; b++) {
    tokens.push(`<0x${b.toString(16).toUpperCase().padStart(2, '0')}>`);
    types.push(TOKEN_BYTE);
  }
  tokens.push('\u2581'); // SentencePiece's word-boundary marker stands for a space
  types.push(TOKEN_NORMAL);
  for (let c = 0x21; c < 0x7f; c++) {
    tokens.push(String.fromCharCode(c));
    types.push(TOKEN_NORMAL);
  }
  const nVocab = tokens.length;
  const scores = tokens.map((_, i) => (types[i] === TOKEN_NORMAL ? -i : 0));

  const rand = (count: number, scale: number): Float32Array => {
    const out = new Float32Array(count);
    for (let i = 0; i < count; i++) out[i] = (next() * 2 - 1) * scale;
    return out;
  };
  const ones = (count: number): Float32Array => new Float32Array(count).fill(1);

  const tensors: GgufTensor[] = [
    { name: 'token_embd.weight', dims: [nEmbd, nVocab], data: rand(nEmbd * nVocab, 0.5) },
    { name: 'output_norm.weight', dims: [nEmbd], data: ones(nEmbd) },
    { name: 'output.weight', dims: [nEmbd, nVocab], data: rand(nEmbd * nVocab, 0.5) },
  ];
  for (let i = 0; i < nLayer; i++) {
    const p = `blk.${i}`;
    tensors.push(
      { name: `${p}.attn_norm.weight`, dims: [nEmbd], data: ones(nEmbd) },
      { name: `${p}.attn_q.weight`, dims: [nEmbd, nEmbd], data: rand(nEmbd * nEmbd, 0.1) },
      { name: `${p}.attn_k.weight`, dims: [nEmbd, nEmbd], data: rand(nEmbd * nEmbd, 0.1) },
      { name: `${p}.attn_v.weight`, dims: [nEmbd, nEmbd], data: rand(nEmbd * nEmbd, 0.1) },
      { name: `${p}.attn_output.weight`, dims: [nEmbd, nEmbd], data: rand(nEmbd * nEmbd, 0.1) },
      { name: `${p}.ffn_norm.weight`, dims: [nEmbd], data: ones(nEmbd) },
      { name: `${p}.ffn_gate.weight`, dims: [nEmbd, nFf], data: rand(nEmbd * nFf, 0.1) },
      { name: `${p}.ffn_up.weight`, dims: [nEmbd, nFf], data: rand(nEmbd * nFf, 0.1) },
      { name: `${p}.ffn_down.weight`, dims: [nFf, nEmbd], data: rand(nFf * nEmbd, 0.1) },
    );
  }

  const metadata: Record<string, GgufValue> = {
    'general.architecture': { type: 'string', value: 'llama' },
    'general.name': { type: 'string', value: 'powerauto-tiny-test' },
    'general.alignment': { type: 'u32', value: ALIGNMENT },
    'llama.context_length': { type: 'u32', value: nCtx },
    'llama.embedding_length': { type: 'u32', value: nEmbd },
    'llama.block_count': { type: 'u32', value: nLayer },
    'llama.feed_forward_length': { type: 'u32', value: nFf },
    'llama.attention.head_count': { type: 'u32', value: nHead },
    'llama.attention.head_count_kv': { type: 'u32', value: nHead },
    'llama.rope.dimension_count': { type: 'u32', value: nEmbd / nHead },
    'llama.attention.layer_norm_rms_epsilon': { type: 'f32', value: 1e-5 },
    'llama.vocab_size': { type: 'u32', value: nVocab },
    'tokenizer.ggml.model': { type: 'string', value: 'llama' },
    'tokenizer.ggml.tokens': { type: 'string[]', value: tokens },
    'tokenizer.ggml.scores': { type: 'f32[]', value: scores },
    'tokenizer.ggml.token_type': { type: 'i32[]', value: types },
    'tokenizer.ggml.unknown_token_id': { type: 'u32', value: 0 },
    'tokenizer.ggml.bos_token_id': { type: 'u32', value: 1 },
    'tokenizer.ggml.eos_token_id': { type: 'u32', value: 2 },
    'tokenizer.ggml.add_bos_token': { type: 'bool', value: true },
    'tokenizer.ggml.add_eos_token': { type: 'bool', value: false },
  };
  return encodeGguf(metadata, tensors);
}

export async function writeTinyLlamaGguf(path: string, opts?: TinyLlamaOptions): Promise<void> {
  await writeFile(path, tinyLlamaGguf(opts));
}
