import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createAppContext, type AppContext } from "../server/app-context";
import { defineNode } from "../nodes/define-node";
import { NodeRegistry } from "../nodes/registry";
import { ALL_NODES } from "../nodes/index";
import type { ConditioningValue } from "../nodes/values";
import { openCheckpointWeights } from "../server/checkpoints";
import { releaseLmModels } from "../server/pipeline/lm";
import { watchLoopGaps } from "./helpers/loop-gaps";

const seen: Record<string, ConditioningValue> = {};
const Sink = defineNode({
  type: "t.condSink",
  title: "sink",
  category: "test",
  description: "records conditioning",
  inputs: { c: { type: "CONDITIONING" } },
  outputs: {},
  params: {},
  output: true,
  run: ({ inputs }, ctx) => {
    seen[ctx.nodeId] = inputs.c;
    return {};
  },
});

let app: AppContext;
let dir: string;
beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), "acestep-cond-"));
  app = createAppContext({ dataDir: dir, registry: new NodeRegistry([...ALL_NODES, Sink]), threads: 1 });
  await app.models.ready();
});
afterAll(async () => {
  await app.close();
  await releaseLmModels(); // stops the LM worker, which tokenized the prompts
  rmSync(dir, { recursive: true, force: true });
});

async function run(graph: unknown) {
  const { runId } = app.runs.start({ graph });
  await app.runs.waitFor(runId);
  return app.store.getRun(runId)!;
}

describe("conditioning nodes", () => {
  it("encodes the exact text prompt with Qwen3-Embedding, SONG values taking precedence", async () => {
    // the first use of the real-size tokenizer in this process: it loads in the LM worker, not on this thread
    const gaps = watchLoopGaps();
    const r = await run({
      version: 1,
      nodes: {
        te: { type: "models.textEncoder" },
        song: { type: "ace.song", params: { caption: "from the song", bpm: 120, keyscale: "G major" } },
        t: {
          type: "ace.textConditioning",
          params: { caption: "ignored", bpm: 90, timesignature: "4", duration: 30 },
          inputs: { textEncoder: { node: "te", output: "textEncoder" }, song: { node: "song", output: "song" } },
        },
        s: { type: "t.condSink", inputs: { c: { node: "t", output: "conditioning" } } },
      },
    });
    const { maxMs } = gaps.stop();
    expect(r.error).toBeNull();
    // a tokenizer load here alone stalls the loop ~0.5 s (generous bound: a shared machine deschedules threads)
    expect(maxMs, `max event-loop gap ${maxMs.toFixed(1)} ms`).toBeLessThan(250);
    const c = seen.s;
    expect(c.meta!.prompt).toBe(
      "# Instruction\nFill the audio semantic mask based on the given conditions:\n\n# Caption\nfrom the song\n\n# Metas\n- bpm: 120\n- timesignature: 4\n- keyscale: G major\n- duration: 30 seconds\n<|endoftext|>\n",
    );
    const h = c.tensors.text_hidden;
    expect(h.shape[0]).toBe(1);
    expect(h.shape[1]).toBe(c.meta!.tokens);
    expect(h.data.every(Number.isFinite)).toBe(true);
    expect(c.demo).toBe(true);
  });

  it("embeds the lyric prompt with the token table only (rows equal the checkpoint's)", async () => {
    const r = await run({
      version: 1,
      nodes: {
        te: { type: "models.textEncoder" },
        l: {
          type: "ace.lyricsConditioning",
          params: { lyrics: "", instrumental: true, language: "ja" },
          inputs: { textEncoder: { node: "te", output: "textEncoder" } },
        },
        s: { type: "t.condSink", inputs: { c: { node: "l", output: "conditioning" } } },
      },
    });
    expect(r.error).toBeNull();
    const c = seen.s;
    expect(c.meta!.prompt).toBe("# Languages\nja\n\n# Lyric\n[Instrumental]<|endoftext|>");
    const e = c.tensors.lyric_embeddings;
    const w = openCheckpointWeights(join(app.models.demoCheckpointsDir!, "Qwen3-Embedding-0.6B"));
    const table = w.getFloat32("embed_tokens.weight");
    const H = table.shape[1];
    // The tokenizer ends the lyric prompt with <|endoftext|> (151643); its row must be the last one.
    const last = e.data.subarray((e.shape[1] - 1) * H, e.shape[1] * H);
    expect(Array.from(last)).toEqual(Array.from(table.data.subarray(151643 * H, 151644 * H)));
    w.close();
  });

  it("rejects out-of-range metadata at validation, naming the field", () => {
    const issues = app.runs.validate({
      version: 1,
      nodes: {
        te: { type: "models.textEncoder" },
        t: {
          type: "ace.textConditioning",
          params: { bpm: 500, duration: 700 },
          inputs: { textEncoder: { node: "te", output: "textEncoder" } },
        },
        s: { type: "t.condSink", inputs: { c: { node: "t", output: "conditioning" } } },
      },
    });
    expect(issues.map((i) => `${i.nodeId}.${i.field}:${i.code}`).sort()).toEqual([
      "t.bpm:value_bigger_than_max",
      "t.duration:value_bigger_than_max",
    ]);
  });
});
