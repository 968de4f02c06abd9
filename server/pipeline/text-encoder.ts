// Text side of the conditioning (acestep/handler.py `_get_text_hidden_states`, `infer_lyric_embeddings`): tokenizer of the Qwen3-Embedding folder,
// the full encoder for captions (last_hidden_state) and the bare token-embedding lookup for lyrics.
import { closeSync, openSync, readFileSync, readSync } from "node:fs";
import { join, dirname } from "node:path";
import { Tokenizer } from "@huggingface/tokenizers";
import { bf16ToF32, f16ToF32 } from "../checkpoints/float16";
import type { ModelManager } from "../models/manager";
import type { ManifestEntry } from "../models/convert/manifest";

export const TEXT_MAX_TOKENS = 256;
export const LYRIC_MAX_TOKENS = 2048;

interface Loaded {
  tok: Tokenizer;
  /** Token ids the post-processor appends to every sequence (e.g. <|endoftext|>), measured once. */
  suffix: number[];
}
const tokenizers = new Map<string, Loaded>();

function loadTokenizer(dir: string): Loaded {
  const hit = tokenizers.get(dir);
  if (hit) return hit;
  const json = JSON.parse(readFileSync(join(dir, "tokenizer.json"), "utf8"));
  let config: Record<string, unknown> = {};
  try {
    config = JSON.parse(readFileSync(join(dir, "tokenizer_config.json"), "utf8"));
  } catch {
    // optional
  }
  const tok = new Tokenizer(json, config);
  const withSpecial = tok.encode("", { add_special_tokens: true }).ids;
  const loaded = { tok, suffix: withSpecial.map(Number) };
  tokenizers.set(dir, loaded);
  return loaded;
}

/** Tokenises like HF with truncation=True, max_length: content truncated, then the post-processor's tokens appended. */
export function tokenizeForEncoder(dir: string, text: string, maxLength: number): number[] {
  const { tok, suffix } = loadTokenizer(dir);
  const body = tok.encode(text, { add_special_tokens: false }).ids.map(Number);
  return [...body.slice(0, Math.max(0, maxLength - suffix.length)), ...suffix];
}

export function encoderDir(mm: ModelManager, entry: ManifestEntry): string {
  return dirname(mm.file(entry, "text_encoder").abs);
}

/** Qwen3-Embedding last_hidden_state [1, L, H] for one prompt (no attention mask, as upstream). */
export async function encodeText(
  mm: ModelManager,
  entry: ManifestEntry,
  text: string,
  signal?: AbortSignal,
): Promise<{ data: Float32Array; shape: [number, number, number]; ids: number[] }> {
  const ids = tokenizeForEncoder(encoderDir(mm, entry), text, TEXT_MAX_TOKENS);
  const L = ids.length;
  const out = await mm.run(
    entry,
    "text_encoder",
    {
      input_ids: { type: "int64", dims: [1, L], data: BigInt64Array.from(ids.map(BigInt)) },
      attention_mask: { type: "int64", dims: [1, L], data: new BigInt64Array(L).fill(1n) },
    },
    signal,
  );
  const h = out.last_hidden_state;
  return { data: h.data as Float32Array, shape: h.dims as [number, number, number], ids };
}

/** Rows of the token-embedding table [1, L, H] (lyrics use only this lookup, not the transformer). */
export function embedTokens(
  mm: ModelManager,
  entry: ManifestEntry,
  ids: number[],
): { data: Float32Array; shape: [number, number, number] } {
  const f = mm.file(entry, "token_embeddings");
  if (!f.tensor) throw new Error(`model "${entry.name}": token_embeddings has no tensor description; reconvert it`);
  const [rows, H] = f.tensor.shape;
  const dtype = f.tensor.dtype;
  const bytesPer = dtype === "F32" ? 4 : 2;
  const out = new Float32Array(ids.length * H);
  const row = Buffer.alloc(H * bytesPer);
  const fd = openSync(f.abs, "r");
  try {
    ids.forEach((id, i) => {
      if (!Number.isInteger(id) || id < 0 || id >= rows)
        throw new Error(`token id ${id} is outside the embedding table (${rows} rows)`);
      readSync(fd, row, 0, row.length, id * H * bytesPer);
      for (let j = 0; j < H; j++) {
        out[i * H + j] =
          dtype === "F32"
            ? row.readFloatLE(j * 4)
            : dtype === "BF16"
              ? bf16ToF32(row.readUInt16LE(j * 2))
              : f16ToF32(row.readUInt16LE(j * 2));
      }
    });
  } finally {
    closeSync(fd);
  }
  return { data: out, shape: [1, ids.length, H] };
}
