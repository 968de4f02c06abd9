// The 5 Hz LM as a model: graph building from checkpoint weights (lm-graph.ts), config.json, the code-head rows.
// The ORT session of the step graph and its in-place KV cache live in server/runtime/lm/kv-session.ts
// (LmKvSession; LmModel adds the factories that know the checkpoint).
//
//   const lm = await LmModel.fromCheckpoint(".../acestep-5Hz-lm-0.6B");
//   const cache = lm.newCache(2);                                   // lanes: 1 = plain, 2 = CFG pair
//   const [c, u] = await lm.step(cache, [condPrompt, uncondPrompt]); // batched prefill (chunked, padded)
//   const [c2, u2] = await lm.step(cache, [[tok], [tok]], { head: "codes" }); // one decode step

import fs from "node:fs";
import path from "node:path";
import type * as ort from "onnxruntime-node";
import { openCheckpointWeights } from "../../checkpoints";
import { toBytes, toBytesWithExternalData, totalInitializerBytes } from "../../onnx/serialize";
import { qwen3ConfigSchema, type Qwen3Config } from "../../checkpoints/layout/qwen3";
import { parseConfig } from "../../checkpoints/layout/shapes";
import type { Weights } from "../../onnx/weights";
import {
  createLmOrtSession,
  LmKvSession,
  type LmSessionLike,
  type LmSessionOptions,
} from "../../runtime/lm/kv-session";
import { builderWeights } from "../convert/weights-adapter";
import { buildLmGraph, type LmGraphOptions } from "./lm-graph";

export {
  LmKvCache,
  type LmHead,
  type LmSessionLike,
  type LmStepConfig,
  type StepOptions,
} from "../../runtime/lm/kv-session";

/** The head rows of the code pass: `<|im_end|>` 151645 … last valid code 215668 (ids 151646–151668 ride along). */
export const CODE_HEAD_ROWS: [number, number] = [151645, 215669];

/** The code head a converted LM has by default: CODE_HEAD_ROWS when the vocabulary holds the audio codes. */
export function defaultCodeRows(config: { vocab_size: number }): [number, number] | null {
  return config.vocab_size >= CODE_HEAD_ROWS[1] ? CODE_HEAD_ROWS : null;
}

export interface LmModelOptions extends LmGraphOptions, LmSessionOptions {}

export class LmModel extends LmKvSession<Qwen3Config> {
  /** Build the graph from in-memory weights and open it on the ORT CPU provider. */
  static async fromWeights(weights: Weights, config: Qwen3Config, opts: LmModelOptions = {}): Promise<LmModel> {
    const built = buildLmGraph(weights, config, opts);
    let session: ort.InferenceSession;
    if (totalInitializerBytes(built) > 1.5 * 1024 ** 3) {
      const { model, data } = toBytesWithExternalData(built, "lm.onnx.data");
      session = await createLmOrtSession(model, {
        threads: opts.threads,
        sessionOptions: { ...opts.sessionOptions, externalData: [{ path: "lm.onnx.data", data }] },
      });
    } else {
      session = await createLmOrtSession(toBytes(built), opts);
    }
    return LmModel.fromSession(session, config, { codeRows: opts.codeRows ?? null, fullHead: !opts.noFullHead });
  }

  /**
   * Official checkpoint folder (config.json + model.safetensors[.index.json]) → model. By default the
   * code-pass head (CODE_HEAD_ROWS) is built too when the vocabulary holds the audio codes.
   */
  static async fromCheckpoint(dir: string, opts: LmModelOptions = {}): Promise<LmModel> {
    const config = readLmConfig(dir);
    const cw = openCheckpointWeights(dir);
    try {
      const prefix = opts.prefix ?? (cw.has("model.embed_tokens.weight") ? "model." : "");
      const codeRows = opts.codeRows === undefined ? defaultCodeRows(config) : opts.codeRows;
      return await LmModel.fromWeights(builderWeights(cw), config, { ...opts, prefix, codeRows });
    } finally {
      cw.close();
    }
  }

  /**
   * A converted lm-graph.ts model file (external data next to it is found by ORT). `config` is the
   * checkpoint's config.json (readLmConfig); `codeRows` (default CODE_HEAD_ROWS when the vocabulary has
   * the codes) and `fullHead` (default true) must match how the file was built (a mismatch throws at step).
   */
  static async fromFile(
    onnxPath: string,
    config: Qwen3Config,
    o: LmSessionOptions & { codeRows?: [number, number] | null; fullHead?: boolean } = {},
  ): Promise<LmModel> {
    const session = await createLmOrtSession(onnxPath, o);
    const codeRows = o.codeRows === undefined ? defaultCodeRows(config) : o.codeRows;
    return LmModel.fromSession(session, config, { codeRows, fullHead: o.fullHead ?? true });
  }

  /** Wrap an already created session of a lm-graph.ts model (any backend with the same contract). */
  static fromSession(
    session: LmSessionLike,
    config: Qwen3Config,
    o: { codeRows: [number, number] | null; fullHead?: boolean },
  ): LmModel {
    return new LmModel(session, config, o.codeRows, o.fullHead ?? true);
  }
}

/** config.json of an LM checkpoint folder, parsed by the layout schema (server/checkpoints/layout/qwen3.ts). */
export function readLmConfig(dir: string): Qwen3Config {
  const file = path.join(dir, "config.json");
  let raw: unknown;
  try {
    raw = JSON.parse(fs.readFileSync(file, "utf8"));
  } catch (e) {
    throw new Error(`lm: cannot read ${file} (${(e as Error).message})`);
  }
  return parseConfig(qwen3ConfigSchema, raw, `LM (${file})`);
}
