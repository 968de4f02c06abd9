// saveAudioFile: format choice, atomic replacement, folders created, unwritable targets reported.
import { mkdtempSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { audioInfo, sineTone } from "../audio/analysis";
import { loadAudioFile } from "../audio/decode";
import { formatFromPath } from "../audio/encode";
import { AudioEncodeError } from "../audio/types";
import { saveAudioFile } from "./save-audio";

const tone = sineTone({ freq: [440, 660], seconds: 0.2 });

describe("saveAudioFile", () => {
  it("picks the format from options, else the extension, else FLAC", async () => {
    const dir = mkdtempSync(join(tmpdir(), "save-"));
    await saveAudioFile(join(dir, "a.wav"), tone);
    await saveAudioFile(join(dir, "b.mp3"), tone, { bitrate: 192 });
    await saveAudioFile(join(dir, "c.out"), tone);
    await saveAudioFile(join(dir, "d.bin"), tone, { format: "wav", bitDepth: 32 });
    const magic = (f: string) => readFileSync(join(dir, f)).subarray(0, 4).toString("latin1");
    expect(magic("a.wav")).toBe("RIFF");
    expect(readFileSync(join(dir, "b.mp3"))[0]).toBe(0xff);
    expect(magic("c.out")).toBe("fLaC");
    expect(magic("d.bin")).toBe("RIFF");
    expect((await loadAudioFile(join(dir, "d.bin"))).source).toMatchObject({ bitDepth: 32, frames: 9600 });
    expect(formatFromPath("x.OGG")).toBe("ogg");
  });

  it("writes atomically: replaces an existing file and leaves no temp files", async () => {
    const dir = mkdtempSync(join(tmpdir(), "atomic-"));
    const path = join(dir, "out.flac");
    writeFileSync(path, "old");
    const n = await saveAudioFile(path, tone);
    expect(readFileSync(path).length).toBe(n);
    expect(readdirSync(dir)).toEqual(["out.flac"]);
    const back = await loadAudioFile(path);
    expect(audioInfo(back).frames).toBe(9600);
  });

  it("creates missing folders and reports unwritable targets as AudioEncodeError", async () => {
    const dir = mkdtempSync(join(tmpdir(), "deep-"));
    await saveAudioFile(join(dir, "x", "y", "z.flac"), tone);
    expect(readdirSync(join(dir, "x", "y"))).toEqual(["z.flac"]);
    writeFileSync(join(dir, "file"), "");
    await expect(saveAudioFile(join(dir, "file", "sub.flac"), tone)).rejects.toBeInstanceOf(AudioEncodeError);
  });
});
