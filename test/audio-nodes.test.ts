import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createAppContext, type AppContext } from "../server/app-context";
import { loadAudioFile } from "../server/audio/index";

let app: AppContext;
let dir: string;
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), "acestep-audio-nodes-"));
  app = createAppContext({ dataDir: dir });
});
afterAll(async () => {
  await app.close();
  rmSync(dir, { recursive: true, force: true });
});

async function runGraph(graph: unknown) {
  const { runId } = app.runs.start({ graph });
  await app.runs.waitFor(runId);
  return { run: app.store.getRun(runId)!, outputs: app.store.listOutputs(runId) };
}

const toneToSave = (save: Record<string, unknown>) => ({
  version: 1,
  nodes: {
    tone: { type: "audio.testTone", params: { seconds: 0.5, frequency: 440, rightFrequency: 440, amplitude: 0.5 } },
    save: { type: "audio.save", params: save, inputs: { audio: { node: "tone", output: "audio" } } },
  },
});

describe("audio nodes", () => {
  it("saves a flac into the run folder, lists it only once complete, and it decodes back", async () => {
    const { run, outputs } = await runGraph(toneToSave({ format: "flac", prefix: "t" }));
    expect(run.status).toBe("finished");
    expect(outputs).toHaveLength(1);
    expect(outputs[0].path).toMatch(new RegExp(`^outputs/${run.id}/t-[0-9a-f-]{36}\\.flac$`));
    const files = readdirSync(join(dir, "outputs", run.id));
    expect(files.filter((f) => f.endsWith(".tmp"))).toEqual([]);
    const back = await loadAudioFile(join(dir, outputs[0].path));
    expect(back.sampleRate).toBe(48_000);
    expect(back.channels[0].length).toBe(24_000);
    const w = (2 * Math.PI * 440) / 48_000;
    let maxErr = 0;
    for (let i = 0; i < 24_000; i++) maxErr = Math.max(maxErr, Math.abs(back.channels[0][i] - 0.5 * Math.sin(w * i)));
    expect(maxErr).toBeLessThan(1 / 32767 + 1e-6);
  });

  it("uses the explicit key as the file name and honours the format", async () => {
    const { outputs } = await runGraph(toneToSave({ format: "wav", prefix: "", key: "my-key" }));
    expect(outputs[0].path.endsWith("/my-key.wav")).toBe(true);
  });

  it("loads an uploaded file from the data folder and refuses paths outside it", async () => {
    const { outputs } = await runGraph(toneToSave({ format: "flac", key: "src" }));
    mkdirSync(join(dir, "uploads"), { recursive: true });
    copyFileSync(join(dir, outputs[0].path), join(dir, "uploads", "src.flac"));
    const load = (file: string) => ({
      version: 1,
      nodes: {
        l: { type: "audio.load", params: { file } },
        i: { type: "audio.info", inputs: { audio: { node: "l", output: "audio" } } },
        s: { type: "core.showNumber", inputs: { value: { node: "i", output: "seconds" } } },
      },
    });
    const ok = await runGraph(load("uploads/src.flac"));
    expect(ok.run.status).toBe("finished");
    const bad = await runGraph(load("../../etc/passwd"));
    expect(bad.run.status).toBe("failed");
    expect(bad.run.error).toMatchObject({ nodeId: "l", field: "file" });
    const missing = await runGraph(load("uploads/none.flac"));
    expect(missing.run.error).toMatchObject({
      nodeId: "l",
      field: "file",
      message: expect.stringContaining("uploads/none.flac"),
    });
  });

  it("refuses 32-bit flac at validation, naming the field", () => {
    expect(app.runs.validate(toneToSave({ format: "flac", bitDepth: "32" }))).toMatchObject([
      { code: "cross_field", nodeId: "save", field: "bitDepth" },
    ]);
  });

  it("does not save silent audio, as the official pipeline", async () => {
    const { outputs, run } = await runGraph({
      version: 1,
      nodes: {
        tone: { type: "audio.testTone", params: { seconds: 0.1, amplitude: 0 } },
        save: { type: "audio.save", inputs: { audio: { node: "tone", output: "audio" } } },
      },
    });
    expect(run.status).toBe("finished");
    expect(outputs).toEqual([]);
    expect(existsSync(join(dir, "outputs", run.id))).toBe(true);
  });
});
