import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createAppContext, type AppContext } from "../server/app-context";
import { loadAudioFile } from "../server/audio/index";

let app: AppContext;
let dir: string;
beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), "acestep-vae-nodes-"));
  app = createAppContext({ dataDir: dir, threads: 1 });
  await app.models.ready();
});
afterAll(async () => {
  await app.close();
  rmSync(dir, { recursive: true, force: true });
});

const graph = (encode: Record<string, unknown> = {}, decode: Record<string, unknown> = {}) => ({
  version: 1,
  nodes: {
    vae: { type: "models.vae" },
    tone: { type: "audio.testTone", params: { seconds: 1.2 } },
    enc: {
      type: "vae.encode",
      params: encode,
      inputs: { vae: { node: "vae", output: "vae" }, audio: { node: "tone", output: "audio" } },
    },
    dec: {
      type: "vae.decode",
      params: decode,
      inputs: { vae: { node: "vae", output: "vae" }, latent: { node: "enc", output: "latent" } },
    },
    save: {
      type: "audio.save",
      params: { format: "wav", bitDepth: "32", levels: "none", skipSilent: false },
      inputs: { audio: { node: "dec", output: "audio" } },
    },
  },
});

async function run(g: unknown) {
  const { runId } = app.runs.start({ graph: g });
  await app.runs.waitFor(runId);
  return { run: app.store.getRun(runId)!, events: app.store.eventsAfter(runId), outputs: app.store.listOutputs(runId) };
}

describe("VAE nodes on demo weights", () => {
  it("encodes 1.2 s to 30 latent frames and decodes back to 30·1920 samples, marked as demo", async () => {
    const { run: r, events, outputs } = await run(graph());
    expect(r.error).toBeNull();
    const enc = events.find((e) => e.event.type === "node.finished" && e.event.nodeId === "enc")!.event as unknown as {
      outputs: { latent: { shape: number[]; demo: boolean } };
    };
    expect(enc.outputs.latent.shape).toEqual([1, 30, 64]);
    expect(enc.outputs.latent.demo).toBe(true);
    expect(r.demo).toBe(true);
    const audio = await loadAudioFile(join(dir, outputs[0].path));
    expect(audio.channels[0].length).toBe(30 * 1920);
    expect(outputs[0].meta.demo).toBe(true);
  });

  it("tiled decode equals one-shot decode (overlap covers the receptive field)", async () => {
    const one = await run(graph({}, { chunkFrames: 512, overlapFrames: 64 }));
    const tiled = await run(graph({}, { chunkFrames: 20, overlapFrames: 9 }));
    const a = await loadAudioFile(join(dir, one.outputs[0].path));
    const b = await loadAudioFile(join(dir, tiled.outputs[0].path));
    let maxErr = 0;
    for (let i = 0; i < a.channels[0].length; i++)
      maxErr = Math.max(maxErr, Math.abs(a.channels[0][i] - b.channels[0][i]));
    expect(maxErr).toBeLessThan(1e-5);
  });

  it("posterior sampling is seeded: same seed same latents, and differs from the mean", async () => {
    const s1 = await run(graph({ posterior: "sample", seed: 7 }));
    const s2 = await run(graph({ posterior: "sample", seed: 7 }));
    const m = await run(graph({ posterior: "mean" }));
    const read = async (o: typeof s1) => (await loadAudioFile(join(dir, o.outputs[0].path))).channels[0];
    const [x1, x2, xm] = await Promise.all([read(s1), read(s2), read(m)]);
    expect(Array.from(x1.subarray(0, 500))).toEqual(Array.from(x2.subarray(0, 500)));
    expect(Array.from(x1.subarray(0, 500))).not.toEqual(Array.from(xm.subarray(0, 500)));
  });

  it("refuses an overlap of half the tile or more, naming the field", () => {
    expect(app.runs.validate(graph({}, { chunkFrames: 100, overlapFrames: 50 }))).toMatchObject([
      { nodeId: "dec", field: "overlapFrames", code: "cross_field" },
    ]);
  });
});
