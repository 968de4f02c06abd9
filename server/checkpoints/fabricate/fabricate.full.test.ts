// Full-size fabrication streams: the real-size Qwen3-Embedding-0.6B (1.19 GB of bf16, a 151 669 × 1024 embedding)
// is written with the process's peak RSS far below the 2 GB limit, and the files match the dry-run listing.
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { validateCheckpointDir } from "../layout/validate";
import { fabricateCheckpoints } from "./fabricate";

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), "fabricate-full-"));
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

describe("fabricate --size full", () => {
  it("writes the real-size text encoder chunk by chunk with peak RSS under 2 GB", () => {
    const { plan, dirs } = fabricateCheckpoints(tmp, { size: "full", components: ["text-encoder"] });
    const peak = process.resourceUsage().maxRSS * 1024;
    expect(peak).toBeLessThan(2 * 2 ** 30);
    const dir = dirs["text-encoder"];
    expect(validateCheckpointDir(dir, "text-encoder").issues).toEqual([]);
    const weights = plan[0].files.find((f) => f.file === "model.safetensors")!;
    expect(weights.bytes).toBe(1_191_553_024);
    expect(fs.statSync(path.join(dir, "model.safetensors")).size).toBeGreaterThan(weights.bytes!);
  }, 1_800_000);
});
