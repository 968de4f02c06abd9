// Text side of the conditioning (acestep/handler.py `_get_text_hidden_states`, `infer_lyric_embeddings`): tokenizer of
// the Qwen3-Embedding folder (in the LM worker thread), the full encoder for captions (last_hidden_state) and the
// bare token-embedding lookup for lyrics.
import { closeSync, openSync, readSync } from "node:fs";
import { dirname } from "node:path";
import { bf16ToF32, f16ToF32 } from "../checkpoints/float16";
import type { ModelManager } from "../models/manager";
import { lmWorkerCall } from "../runtime/lm/lm-worker-client";
import type { ManifestEntry } from "../models/convert/manifest";

export const TEXT_MAX_TOKENS = 256;
export const LYRIC_MAX_TOKENS = 2048;

/**
 * The text encoder's token ids (server/acestep/prompts/encoder-tokenizer.ts tokenizeForEncoder) computed in the
 * LM worker thread (server/runtime/lm/lm-worker.ts), where the tokenizer is loaded once: its ~0.5 s load (a
 * 151k-token BPE) would stall this thread's event loop.
 */
export function encoderTokens(dir: string, text: string, maxLength: number): Promise<number[]> {
  return lmWorkerCall<number[]>({ op: "encoderTokens", dir, text, maxLength });
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
  const ids = await encoderTokens(encoderDir(mm, entry), text, TEXT_MAX_TOKENS);
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
