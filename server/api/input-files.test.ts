// Library input files (issue 14): every user error about src_audio / reference_audio comes back as
// success=false naming the field — a file over the size limit (even past 2 GiB), not audio (refused before
// anything is copied into the data folder), a folder, a missing file — and long paths are cut in messages.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, truncateSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createAppContext, type AppContext } from "../app-context";
import { encodeWav } from "../audio/wav";
import { generateMusic } from "./library";
import { fakeRegistry } from "./testing";

const NO_LM = { thinking: false, use_cot_metas: false, use_cot_caption: false, use_cot_language: false };
let app: AppContext;
let dataDir: string;
let outside: string;

beforeAll(() => {
  dataDir = mkdtempSync(join(tmpdir(), "acestep-input-data-"));
  outside = mkdtempSync(join(tmpdir(), "acestep-input-outside-"));
  app = createAppContext({ dataDir, registry: fakeRegistry(), progressIntervalMs: 0, maxUploadBytes: 1024 * 1024 });
});
afterAll(async () => {
  await app.close();
  rmSync(dataDir, { recursive: true, force: true });
  rmSync(outside, { recursive: true, force: true });
});

const cover = (src: string) =>
  generateMusic({ ...NO_LM, task_type: "cover", src_audio: src }, { batch_size: 1 }, { app });
const uploads = () => (existsSync(join(dataDir, "uploads")) ? readdirSync(join(dataDir, "uploads")) : []);

describe("library input files", () => {
  it("answers a 3 GB src_audio with success=false and the limit, not a thrown RangeError", async () => {
    const big = join(outside, "huge.wav");
    writeFileSync(big, encodeWav({ sampleRate: 48000, channels: [new Float32Array(480)] }));
    truncateSync(big, 3 * 1024 ** 3); // sparse: no disk used
    const r = await cover(big);
    expect(r.success).toBe(false);
    expect(r.error).toMatch(/^src_audio: the file ".*huge\.wav" is 3072\.0 MiB; the limit is 1\.0 MiB/);
    const inside = join(dataDir, "big.wav");
    writeFileSync(inside, "");
    truncateSync(inside, 2 * 1024 * 1024);
    expect((await cover("big.wav")).error).toMatch(/^src_audio: .* the limit is 1\.0 MiB/);
  });

  it("refuses a file that is not audio before copying it into the data folder", async () => {
    const notes = join(outside, "notes.wav");
    writeFileSync(notes, "this is a text file with a .wav name");
    const r = await cover(notes);
    expect(r.success).toBe(false);
    expect(r.error).toMatch(/^src_audio: ".*notes\.wav" is not audio/);
    expect(uploads()).toEqual([]);
    const ref = await generateMusic({ ...NO_LM, caption: "x", reference_audio: notes }, { batch_size: 1 }, { app });
    expect(ref.error).toMatch(/^reference_audio: .* is not audio/);
  });

  it("names the field for a folder, a missing file and an empty file", async () => {
    expect((await cover(outside)).error).toMatch(/^src_audio: ".*" is not a file/);
    expect((await cover(join(outside, "missing.wav"))).error).toMatch(/^src_audio: no file/);
    const empty = join(outside, "empty.wav");
    writeFileSync(empty, "");
    expect((await cover(empty)).error).toMatch(/^src_audio: the file .* is empty/);
  });

  it("cuts a long path in the message", async () => {
    const r = await cover(`/${"p".repeat(900)}.wav`);
    expect(r.success).toBe(false);
    expect(r.error!.length).toBeLessThan(400);
    expect(r.error).toContain("(905 characters)");
  });

  it("still copies real audio from outside into uploads/ under its sniffed format", async () => {
    mkdirSync(join(outside, "in"), { recursive: true });
    const song = join(outside, "in", "song.audio");
    writeFileSync(song, encodeWav({ sampleRate: 48000, channels: [new Float32Array(4800), new Float32Array(4800)] }));
    const r = await cover(song);
    expect(r.success).toBe(true);
    expect(uploads().some((f) => /^[0-9a-f]{16}-song\.wav$/.test(f))).toBe(true);
  });
});
