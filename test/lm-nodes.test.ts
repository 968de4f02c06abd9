// The LM nodes and the LM service on the demo weights (tiny random Qwen3 in the official layout, real
// 217 204-token vocabulary and tokenizer): code count = duration·5, metadata in its allowed sets, user values
// injected verbatim, seeded reproducibility, CFG scale 1 = no CFG, thinking off, understand / create / format,
// and the converted LM file against the runner built straight from the checkpoint.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { createAppContext, type AppContext } from "../server/app-context";
import { LmService, releaseLmModels } from "../server/pipeline/lm";
import { CODE_HEAD_ROWS, LmModel, createLmLogitsFn, readLmConfig } from "../server/models/lm";
import {
  buildCodesPrompts,
  createMetadataFsm,
  generateWithLogits,
  KEYSCALES,
  VALID_LANGUAGES,
  AUDIO_CODE_BASE,
} from "../server/lm";
import type { ManifestEntry } from "../server/models/convert/manifest";
import type { Graph } from "../server/graph/format";
import type { AudioCodesValue, SongValue } from "../nodes/values";
import type { UiResult } from "../nodes/define-node";

let app: AppContext;
let dir: string;
let entry: ManifestEntry;
let lm: LmService;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), "acestep-lm-nodes-"));
  app = createAppContext({ dataDir: dir });
  entry = await app.models.find("lm");
  lm = await LmService.open(app.models, entry, { threads: 1 });
}, 120_000);
afterAll(async () => {
  await app.close();
  await releaseLmModels();
  rmSync(dir, { recursive: true, force: true });
});

const L = (node: string, output: string) => ({ node, output });

/** Runs a graph and returns its in-memory outcome (outputs and results per node). */
async function run(nodes: Graph["nodes"]) {
  const { runId } = app.runs.start({ graph: { version: 1, nodes } });
  const o = await app.runs.waitFor(runId);
  app.runs.takeOutcome(runId);
  expect(o?.error ?? null).toBeNull();
  expect(o?.status).toBe("finished");
  return o!;
}

const lmGraph = (params: Record<string, unknown>, song?: Record<string, unknown>): Graph["nodes"] => ({
  lmModel: { type: "models.lm" },
  ...(song ? { song: { type: "ace.song", params: song } } : {}),
  lm: {
    type: "lm.generate",
    params: { captionMaxTokens: 12, ...params },
    inputs: { lm: L("lmModel", "lm"), ...(song ? { song: L("song", "song") } : {}) },
  },
  show: { type: "core.showSong", inputs: { song: L("lm", "song") } },
});

const allowed = (s: SongValue) => {
  expect(Number.isInteger(s.bpm) && s.bpm! >= 30 && s.bpm! <= 300, `bpm ${s.bpm}`).toBe(true);
  expect(KEYSCALES).toContain(s.keyscale);
  expect(["2", "3", "4", "6"]).toContain(s.timesignature);
  expect(VALID_LANGUAGES).toContain(s.language);
};

describe("LM Generate (lm.generate)", () => {
  it("writes exactly duration·5 codes; the CoT values are in their allowed sets", async () => {
    for (const [duration, seed] of [
      [10, 1],
      [13, 2],
    ] as const) {
      const o = await run(lmGraph({ caption: "lofi piano", lyrics: "[Instrumental]", duration, seed }));
      const out = o.outputs.get("lm") as { song: SongValue; codes: AudioCodesValue };
      expect(out.codes.codes).toHaveLength(1);
      expect(out.codes.codes[0]).toHaveLength(duration * 5);
      expect(out.codes.codes[0].every((c) => Number.isInteger(c) && c >= 0 && c <= 63999)).toBe(true);
      expect(out.song.duration).toBe(duration);
      allowed(out.song);
      expect(typeof out.song.caption).toBe("string");
      expect(out.song.lyrics).toBe("[Instrumental]");
      const shown = o.results.show?.[0] as UiResult;
      expect(shown).toMatchObject({ kind: "song", value: out.song });
      expect(o.results.lm?.[0]).toMatchObject({ kind: "song", meta: { codes: [duration * 5] } });
    }
  });

  it("a batch samples one code list per item, all of the target length", async () => {
    const o = await run(lmGraph({ caption: "synthwave", duration: 10, seed: 3, batchSize: 2 }));
    const codes = (o.outputs.get("lm") as { codes: AudioCodesValue }).codes.codes;
    expect(codes.map((c) => c.length)).toEqual([50, 50]);
    expect(codes[0]).not.toEqual(codes[1]);
  });

  it("injects user values verbatim (a connected SONG wins over the params) and fills the rest", async () => {
    const o = await run(
      lmGraph(
        { bpm: 200, keyscale: "A minor", seed: 4, maxDuration: 12, thinking: false },
        {
          caption: "jazz trio",
          lyrics: "[verse]\nla la",
          bpm: 123,
          keyscale: "C# minor",
          timesignature: "3",
          language: "de",
        },
      ),
    );
    const s = (o.outputs.get("lm") as { song: SongValue }).song;
    expect(s).toMatchObject({
      caption: expect.any(String),
      lyrics: "[verse]\nla la",
      bpm: 123,
      keyscale: "C# minor",
      timesignature: "3",
    });
    expect(s.duration).toBeGreaterThanOrEqual(10);
    expect(s.duration).toBeLessThanOrEqual(12); // the duration cap reaches the FSM

    // the CoT text itself: injected lines verbatim, caption/language lines only when use_cot_* asks
    const r = await lm.generate(
      {
        caption: "jazz",
        lyrics: "",
        bpm: 123,
        keyscale: "C# minor",
        timesignature: "3",
        thinking: false,
        useCotMetas: true,
        useCotCaption: false,
        useCotLanguage: false,
      },
      { seed: 5, maxDuration: 12 },
    );
    expect(r.cot!.text).toMatch(
      /^<think>\nbpm: 123\nduration: 1[0-2]\nkeyscale: C# minor\ntimesignature: 3\n<\|im_end\|>$/,
    );
    expect(r.dit.caption).toBe("jazz");
  });

  it("thinking off: no codes, and the node says so", async () => {
    const o = await run(lmGraph({ caption: "ambient", duration: 10, thinking: false, seed: 6 }));
    const out = o.outputs.get("lm") as { song: SongValue; codes: AudioCodesValue };
    expect(out.codes.codes).toEqual([]);
    allowed(out.song);
    expect(out.song.duration).toBe(10);
    const res = o.results.lm?.[0] as UiResult;
    expect(res.label).toMatch(/thinking off/);
    expect(res.meta?.note).toMatch(/thinking is off: no audio codes/);
  });

  it("validates the bpm / duration ranges and the duration cap", () => {
    const issues = app.runs.validate({ version: 1, nodes: lmGraph({ bpm: 20, duration: 30, maxDuration: 20 }) });
    expect(issues.map((i) => i.field).sort()).toEqual(["bpm", "duration"].map((f) => expect.stringContaining(f)));
  });
});

describe("LM service", () => {
  const req = {
    caption: "dream pop",
    lyrics: "[Instrumental]",
    duration: 10,
    thinking: true,
    useCotMetas: true,
    useCotCaption: true,
    useCotLanguage: true,
  };

  it("seeded runs reproduce; another seed differs", async () => {
    const a = await lm.generate(req, { seed: 9, captionMaxTokens: 8 });
    const b = await lm.generate(req, { seed: 9, captionMaxTokens: 8 });
    const c = await lm.generate(req, { seed: 10, captionMaxTokens: 8 });
    expect(b.cot!.text).toBe(a.cot!.text);
    expect(b.codes[0].codes).toEqual(a.codes[0].codes);
    expect(c.codes[0].codes).not.toEqual(a.codes[0].codes);
  });

  it("cfgScale 1 equals the plain (no-CFG) decode loop; cfgScale 2 runs the batched second lane", async () => {
    const metadata = { bpm: 90, duration: 10, keyscale: "G major", timesignature: "4" };
    const input = { caption: "x", lyrics: "", metadata, targetDuration: 10 };
    const calls0 = (await lm.stats()).pairCalls;
    const one = await lm.generateCodes(input, { seed: 3, cfgScale: 1, negativePrompt: "harsh noise" });
    expect((await lm.stats()).pairCalls).toBe(calls0); // no uncond lane at all
    const { cond } = buildCodesPrompts({ caption: "x", lyrics: "", metadata });
    // the plain loop on this thread, over the same converted file the worker runs
    const config = readLmConfig(dirname(app.models.file(entry, "config").abs));
    const local = await LmModel.fromFile(app.models.file(entry, "lm").abs, config, { threads: 1 });
    const plain = await generateWithLogits(createLmLogitsFn(local, { head: "codes" }), {
      prompt: lm.tokenizer.encode(cond),
      fsm: createMetadataFsm({ tokenizer: lm.tokenizer, mode: "codes", targetCodes: 50 }),
      sampling: { cfgScale: 1 },
      maxNewTokens: 60,
      seed: 3,
    });
    await local.dispose();
    expect(one.codes).toEqual(plain.tokens.filter((t) => t >= AUDIO_CODE_BASE).map((t) => t - AUDIO_CODE_BASE));
    const two = await lm.generateCodes(input, { seed: 3, cfgScale: 2 });
    expect((await lm.stats()).pairCalls).toBeGreaterThan(calls0);
    expect(two.codes).toHaveLength(50);
    expect(two.codes).not.toEqual(one.codes);
  });

  it("reports progress per pass and stops between tokens when aborted", async () => {
    const seen: { phase: string; step: number; total?: number }[] = [];
    await lm.generate(req, { seed: 1, captionMaxTokens: 4, progressIntervalMs: 0, onProgress: (p) => seen.push(p) });
    expect(seen.some((p) => p.phase === "cot")).toBe(true);
    expect(seen.filter((p) => p.phase === "codes").at(-1)).toMatchObject({ total: 50 });
    const ac = new AbortController();
    const p = lm.generate(req, {
      seed: 1,
      signal: ac.signal,
      onProgress: (x) => x.step >= 3 && ac.abort(),
      progressIntervalMs: 0,
    });
    await expect(p).rejects.toThrow(/abort/i);
  });

  it("the converted lm.onnx (both heads) gives the logits of the runner built from the checkpoint", async () => {
    const f = app.models.file(entry, "lm");
    expect(f.inputs).toContain("head_select");
    expect(f.outputs).toContain("logits");
    const ref = await LmModel.fromCheckpoint(join(app.models.demoCheckpointsDir!, entry.name), {
      threads: 1,
      codeRows: CODE_HEAD_ROWS,
    });
    const ids = lm.tokenizer.encode("<|im_start|>user\nhello<|im_end|>\n<|im_start|>assistant\n<think>\n");
    for (const head of ["full", "codes"] as const) {
      const a = await lm.logits(ids, head);
      const b = (await ref.step(ref.newCache(1), [ids], { head }))![0];
      expect(a.length).toBe(head === "full" ? 217204 : CODE_HEAD_ROWS[1] - CODE_HEAD_ROWS[0]);
      let d = 0;
      for (let i = 0; i < a.length; i++) d = Math.max(d, Math.abs(a[i] - b[i]));
      expect(d).toBeLessThanOrEqual(1e-5);
    }
    await ref.dispose();
  });
});

describe("LM Understand / Create Sample / Format Sample", () => {
  const caps = { captionMaxTokens: 8, genresMaxTokens: 4, maxNewTokens: 64 };
  const codes = Array.from({ length: 20 }, (_, i) => (i * 2711) % 64000)
    .map((n) => `<|audio_code_${n}|>`)
    .join("");

  it("understand: codes → SONG (also without codes: NO USER INPUT)", async () => {
    const o = await run({
      lmModel: { type: "models.lm" },
      codes: { type: "ace.audioCodes", params: { codes } },
      understand: {
        type: "lm.understand",
        params: { seed: 1, ...caps },
        inputs: { lm: L("lmModel", "lm"), codes: L("codes", "codes") },
      },
      bare: { type: "lm.understand", params: { seed: 2, ...caps }, inputs: { lm: L("lmModel", "lm") } },
    });
    for (const id of ["understand", "bare"]) {
      const s = (o.outputs.get(id) as { song: SongValue }).song;
      expect(typeof s.caption).toBe("string");
      expect(typeof s.lyrics).toBe("string");
      expect(Number.isInteger(s.bpm) && s.bpm! >= 30 && s.bpm! <= 300).toBe(true);
      expect(o.results[id]?.[0]).toMatchObject({ kind: "song", value: s });
    }
  });

  it("create sample: query → SONG; an instrumental request without lyrics gives [Instrumental]; the language is injected", async () => {
    const o = await run({
      lmModel: { type: "models.lm" },
      sample: {
        type: "lm.createSample",
        params: { query: "calm piano", instrumental: true, language: "ja", seed: 3, ...caps, maxNewTokens: 200 },
        inputs: { lm: L("lmModel", "lm") },
      },
    });
    const s = (o.outputs.get("sample") as { song: SongValue }).song;
    expect(s.instrumental).toBe(true);
    expect(s.language).toBe("ja");
    allowed(s);
  });

  it("format sample: user metadata kept verbatim, the rest filled", async () => {
    const o = await run({
      lmModel: { type: "models.lm" },
      format: {
        type: "lm.formatSample",
        params: {
          caption: "lofi",
          lyrics: "[verse]\nhi",
          bpm: 84,
          duration: 30,
          language: "en",
          seed: 4,
          ...caps,
          maxNewTokens: 200,
        },
        inputs: { lm: L("lmModel", "lm") },
      },
      show: { type: "core.showSong", inputs: { song: L("format", "song") } },
    });
    const s = (o.outputs.get("format") as { song: SongValue }).song;
    expect(s).toMatchObject({ bpm: 84, duration: 30, language: "en" });
    expect(KEYSCALES).toContain(s.keyscale);
    expect(["2", "3", "4", "6"]).toContain(s.timesignature);
  });
});
