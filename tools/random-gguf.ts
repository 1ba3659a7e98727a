/**
 * Writes a random-weight GGUF with the embedded policy's shape (layers, width, heads, feed-forward
 * size, context) and a vocabulary of any size, for throughput measurements at the vocabulary sizes of
 * real models (Llama 32,000, Qwen 151,936, …) without downloading one.
 *
 *   npx tsx tools/random-gguf.ts --vocab 151936 --out tools/.work/random-gguf/vocab-151936.gguf
 *
 * The first tokens are the policy's own (so prompts tokenize the same), the rest `<extra_i>` pieces.
 * End of generation is made impossible: dimension 0 of every embedding is 1 and no layer writes to it,
 * so after the final norm it is positive at every position, and the end token's output row is
 * −100 on that dimension and 0 elsewhere. Every sample then runs to its token limit.
 */
import { closeSync, existsSync, mkdirSync, openSync, writeSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { readGgufFileInfo } from "node-llama-cpp";
import { Rng } from "../src/core/rng.js";
import { embeddedModels } from "../src/defaults.js";

/** Options of {@link writeRandomGguf}. */
export interface RandomGgufOptions {
  vocab: number;
  out: string;
  seed?: number;
}

enum GgufType {
  UInt32 = 4,
  Int32 = 5,
  Float32 = 6,
  Bool = 7,
  String = 8,
  Array = 9,
}
const F32 = 0;
const F16 = 1;
const ALIGNMENT = 32;

type Value =
  | { type: GgufType.UInt32 | GgufType.Int32 | GgufType.Float32; value: number }
  | { type: GgufType.Bool; value: boolean }
  | { type: GgufType.String; value: string }
  | { type: GgufType.Array; of: GgufType.String; value: string[] }
  | { type: GgufType.Array; of: GgufType.Float32 | GgufType.Int32; value: ArrayLike<number> };

/** Little-endian byte writer that grows as needed. */
class Bytes {
  private buffer = Buffer.alloc(1 << 16);
  length = 0;

  private room(n: number): void {
    if (this.length + n <= this.buffer.length) return;
    const next = Buffer.alloc(Math.max(this.buffer.length * 2, this.length + n));
    this.buffer.copy(next, 0, 0, this.length);
    this.buffer = next;
  }
  u32(v: number): void {
    this.room(4);
    this.length = this.buffer.writeUInt32LE(v, this.length);
  }
  i32(v: number): void {
    this.room(4);
    this.length = this.buffer.writeInt32LE(v, this.length);
  }
  u64(v: number): void {
    this.room(8);
    this.length = this.buffer.writeBigUInt64LE(BigInt(v), this.length);
  }
  f32(v: number): void {
    this.room(4);
    this.length = this.buffer.writeFloatLE(v, this.length);
  }
  u8(v: number): void {
    this.room(1);
    this.length = this.buffer.writeUInt8(v, this.length);
  }
  string(s: string): void {
    const bytes = Buffer.from(s, "utf8");
    this.u64(bytes.length);
    this.room(bytes.length);
    bytes.copy(this.buffer, this.length);
    this.length += bytes.length;
  }
  pad(): void {
    while (this.length % ALIGNMENT !== 0) this.u8(0);
  }
  value(v: Value): void {
    this.u32(v.type);
    if ("of" in v) {
      this.u32(v.of);
      this.u64(v.value.length);
      for (let i = 0; i < v.value.length; i++) {
        const item = v.value[i]!;
        if (typeof item === "string") this.string(item);
        else if (v.of === GgufType.Float32) this.f32(item);
        else this.i32(item);
      }
    } else if (v.type === GgufType.Bool) this.u8(v.value ? 1 : 0);
    else if (v.type === GgufType.String) this.string(v.value);
    else if (v.type === GgufType.UInt32) this.u32(v.value);
    else if (v.type === GgufType.Int32) this.i32(v.value);
    else this.f32(v.value);
  }
  bytes(): Buffer {
    return this.buffer.subarray(0, this.length);
  }
}

/** IEEE 754 half precision of `value` (round to nearest; the range of these weights is small). */
function toHalf(value: number): number {
  const f = new Float32Array([value]);
  const x = new Uint32Array(f.buffer)[0]!;
  const sign = (x >>> 16) & 0x8000;
  const exponent = ((x >>> 23) & 0xff) - 127 + 15;
  const mantissa = x & 0x7fffff;
  if (exponent <= 0) return sign; // flush tiny values to zero
  if (exponent >= 31) return sign | 0x7c00;
  return sign | (exponent << 10) | Math.round(mantissa / 8192);
}

interface Tensor {
  name: string;
  /** GGUF dimension order: the row length first. */
  dims: number[];
  type: typeof F32 | typeof F16;
  fill: (row: number, column: number) => number;
}

/**
 * The random-weight GGUF of the policy's shape with `vocab` tokens in tools/.work/random-gguf/
 * (the benchmarks' files), written on first use; returns its path.
 */
export async function benchmarkGguf(vocab: number): Promise<string> {
  const file = path.join("tools", ".work", "random-gguf", `vocab-${vocab}.gguf`);
  if (!existsSync(file)) {
    process.stderr.write(`writing ${file} …\n`);
    await writeRandomGguf({ vocab, out: file });
  }
  return file;
}

/** Writes the GGUF; returns its path. */
export async function writeRandomGguf({ vocab, out, seed = 1 }: RandomGgufOptions): Promise<string> {
  const policy = await readGgufFileInfo(embeddedModels.policy);
  const meta = policy.metadata as unknown as {
    llama: {
      context_length: number;
      embedding_length: number;
      block_count: number;
      feed_forward_length: number;
      attention: { head_count: number; head_count_kv: number; layer_norm_rms_epsilon: number };
      rope: { dimension_count: number; freq_base: number };
    };
    tokenizer: { ggml: { tokens: string[]; token_type: number[]; eos_token_id: number } };
  };
  const { llama } = meta;
  const base = meta.tokenizer.ggml;
  if (vocab < base.tokens.length) throw new Error(`--vocab must be at least ${base.tokens.length}`);
  const tokens = [...base.tokens];
  const types = [...base.token_type];
  for (let i = tokens.length; i < vocab; i++) {
    tokens.push(`<extra_${i}>`);
    types.push(1);
  }
  const d = llama.embedding_length;
  const ff = llama.feed_forward_length;
  const kv = (d / llama.attention.head_count) * llama.attention.head_count_kv;
  const eos = base.eos_token_id;
  const rng = new Rng(seed);
  const normal = () => {
    const u = Math.max(rng.next(), 1e-12);
    return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * rng.next());
  };
  const dense = (std: number) => () => normal() * std;
  const one = () => 1;
  const tensors: Tensor[] = [
    // Dimension 0 of every embedding is the constant the end token is suppressed through.
    { name: "token_embd.weight", dims: [d, vocab], type: F16, fill: (_r, c) => (c === 0 ? 1 : normal()) },
  ];
  for (let b = 0; b < llama.block_count; b++) {
    const project = (std: number) => (row: number) => (row === 0 ? 0 : normal() * std);
    tensors.push(
      { name: `blk.${b}.attn_norm.weight`, dims: [d], type: F32, fill: one },
      { name: `blk.${b}.attn_q.weight`, dims: [d, d], type: F16, fill: dense(1 / Math.sqrt(d)) },
      { name: `blk.${b}.attn_k.weight`, dims: [d, kv], type: F16, fill: dense(1 / Math.sqrt(d)) },
      { name: `blk.${b}.attn_v.weight`, dims: [d, kv], type: F16, fill: dense(1 / Math.sqrt(d)) },
      // Row 0 of the projections back into the residual stream is zero: nothing changes dimension 0.
      { name: `blk.${b}.attn_output.weight`, dims: [d, d], type: F16, fill: project(1 / Math.sqrt(d)) },
      { name: `blk.${b}.ffn_norm.weight`, dims: [d], type: F32, fill: one },
      { name: `blk.${b}.ffn_gate.weight`, dims: [d, ff], type: F16, fill: dense(1 / Math.sqrt(d)) },
      { name: `blk.${b}.ffn_up.weight`, dims: [d, ff], type: F16, fill: dense(1 / Math.sqrt(d)) },
      { name: `blk.${b}.ffn_down.weight`, dims: [ff, d], type: F16, fill: project(1 / Math.sqrt(ff)) },
    );
  }
  tensors.push(
    { name: "output_norm.weight", dims: [d], type: F32, fill: one },
    {
      name: "output.weight",
      dims: [d, vocab],
      type: F16,
      fill: (row, c) => (row === eos ? (c === 0 ? -100 : 0) : c === 0 ? 0 : normal() * (8 / Math.sqrt(d))),
    },
  );

  const metadata: [string, Value][] = [
    ["general.architecture", { type: GgufType.String, value: "llama" }],
    ["general.name", { type: GgufType.String, value: `random-policy-shape-v${vocab}` }],
    ["general.alignment", { type: GgufType.UInt32, value: ALIGNMENT }],
    ["general.file_type", { type: GgufType.UInt32, value: 1 }],
    ["llama.context_length", { type: GgufType.UInt32, value: llama.context_length }],
    ["llama.embedding_length", { type: GgufType.UInt32, value: d }],
    ["llama.block_count", { type: GgufType.UInt32, value: llama.block_count }],
    ["llama.feed_forward_length", { type: GgufType.UInt32, value: ff }],
    ["llama.attention.head_count", { type: GgufType.UInt32, value: llama.attention.head_count }],
    ["llama.attention.head_count_kv", { type: GgufType.UInt32, value: llama.attention.head_count_kv }],
    [
      "llama.attention.layer_norm_rms_epsilon",
      { type: GgufType.Float32, value: llama.attention.layer_norm_rms_epsilon },
    ],
    ["llama.rope.dimension_count", { type: GgufType.UInt32, value: llama.rope.dimension_count }],
    ["llama.rope.freq_base", { type: GgufType.Float32, value: llama.rope.freq_base }],
    ["llama.vocab_size", { type: GgufType.UInt32, value: vocab }],
    ["tokenizer.ggml.model", { type: GgufType.String, value: "llama" }],
    ["tokenizer.ggml.tokens", { type: GgufType.Array, of: GgufType.String, value: tokens }],
    ["tokenizer.ggml.scores", { type: GgufType.Array, of: GgufType.Float32, value: new Float32Array(vocab) }],
    ["tokenizer.ggml.token_type", { type: GgufType.Array, of: GgufType.Int32, value: types }],
    ["tokenizer.ggml.unknown_token_id", { type: GgufType.UInt32, value: 0 }],
    ["tokenizer.ggml.bos_token_id", { type: GgufType.UInt32, value: 1 }],
    ["tokenizer.ggml.eos_token_id", { type: GgufType.UInt32, value: eos }],
    ["tokenizer.ggml.add_bos_token", { type: GgufType.Bool, value: true }],
    ["tokenizer.ggml.add_eos_token", { type: GgufType.Bool, value: false }],
    ["tokenizer.ggml.add_space_prefix", { type: GgufType.Bool, value: false }],
  ];

  const sizeOf = (t: Tensor) => t.dims.reduce((a, b) => a * b, 1) * (t.type === F16 ? 2 : 4);
  const header = new Bytes();
  header.u32(0x46554747); // "GGUF"
  header.u32(3);
  header.u64(tensors.length);
  header.u64(metadata.length);
  for (const [key, value] of metadata) {
    header.string(key);
    header.value(value);
  }
  let offset = 0;
  for (const t of tensors) {
    header.string(t.name);
    header.u32(t.dims.length);
    for (const dim of t.dims) header.u64(dim);
    header.u32(t.type);
    header.u64(offset);
    offset += Math.ceil(sizeOf(t) / ALIGNMENT) * ALIGNMENT;
  }
  header.pad();

  mkdirSync(path.dirname(out), { recursive: true });
  const fd = openSync(out, "w");
  try {
    writeSync(fd, header.bytes());
    for (const t of tensors) {
      const rowLength = t.dims[0]!;
      const rows = t.dims.length > 1 ? t.dims[1]! : 1;
      const data = Buffer.alloc(Math.ceil(sizeOf(t) / ALIGNMENT) * ALIGNMENT);
      let at = 0;
      for (let r = 0; r < rows; r++) {
        for (let c = 0; c < rowLength; c++) {
          const v = t.fill(r, c);
          at = t.type === F16 ? data.writeUInt16LE(toHalf(v), at) : data.writeFloatLE(v, at);
        }
      }
      writeSync(fd, data);
    }
  } finally {
    closeSync(fd);
  }
  return out;
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const { parseArgs } = await import("node:util");
  const { values } = parseArgs({
    options: { vocab: { type: "string" }, out: { type: "string" }, seed: { type: "string", default: "1" } },
  });
  if (!values.vocab || !values.out) {
    console.error("usage: npx tsx tools/random-gguf.ts --vocab N --out FILE.gguf [--seed N]");
    process.exit(1);
  }
  const file = await writeRandomGguf({
    vocab: Number(values.vocab),
    out: values.out,
    seed: Number(values.seed),
  });
  console.log(file);
}
