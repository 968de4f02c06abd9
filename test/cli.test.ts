// The acestep CLI. Most cases run main() in this process; two start bin/acestep.mjs as a user would
// (each process start costs seconds of CPU under tsx).
import { afterAll, describe, expect, it } from "vitest";
import { mkdtempSync, readdirSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { runCliInProcess, runCliProcess } from "./helpers/cli";

const dir = mkdtempSync(join(tmpdir(), "acestep-cli-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const cli = (args: string[]) => runCliInProcess(args, { ACESTEP_DATA: join(dir, "data") });
function file(name: string, content: string) {
  const p = join(dir, name);
  writeFileSync(p, content);
  return p;
}

describe("acestep CLI", () => {
  it("bin/acestep.mjs validates a good graph (exit 0) and refuses a bad one (exit 1, no stack trace)", () => {
    const good = runCliProcess(["validate", "graphs/test-tone.json"]);
    expect(good.code).toBe(0);
    expect(good.out).toContain("valid");
    const bad = runCliProcess(["validate", file("bad.json", "{oops")]);
    expect(bad.code).toBe(1);
    expect(bad.err).toMatch(/not valid JSON/);
    expect(bad.err).not.toMatch(/\n\s+at /);
  });

  it("answers bad input of any shape with a clear message, exit 1 and no stack trace", async () => {
    const cases: Array<[string, string, RegExp]> = [
      ["empty.json", "", /empty/],
      ["notjson.json", "{oops", /not valid JSON/],
      ["array.json", "[1,2,3]", /must be a JSON object/],
      ["deep.json", `{"version":1,"nodes":{},"meta":{"x":${"[".repeat(5000)}${"]".repeat(5000)}}}`, /nested/],
      ["proto.json", '{"version":1,"nodes":{"a":{"type":"core.int","params":{"__proto__":{"x":1}}}}}', /__proto__/],
      [
        "huge.json",
        JSON.stringify({ version: 1, nodes: { a: { type: "core.string", params: { value: "y".repeat(300_000) } } } }),
        /300000 characters/,
      ],
      ["version.json", '{"version":7,"nodes":{}}', /version 7 is not supported/],
      ["noversion.json", '{"nodes":{}}', /no "version"/],
      [
        "multi.json",
        JSON.stringify({
          version: 1,
          nodes: { t: { type: "audio.testTone", params: { seconds: 0, bogus: 1 } }, s: { type: "core.showNumber" } },
        }),
        /node "t" field "seconds".*\n.*node "t" field "bogus"|node "t" field "bogus"/,
      ],
    ];
    for (const [name, content, re] of cases) {
      const r = await cli(["validate", file(name, content)]);
      expect(r.code, name).toBe(1);
      expect(r.err, name).toMatch(re);
      expect(r.err, name).not.toMatch(/\n\s+at /);
    }
    const multi = await cli(["validate", join(dir, "multi.json")]);
    expect(multi.err).toContain('node "s" field "value"');
    expect(multi.err).toMatch(/3 issues/);
    expect((await cli(["validate", join(dir, "missing.json")])).err).toContain("no such file");
  });

  it("runs a graph with --set overrides and reports results as JSON", async () => {
    const out = join(dir, "out");
    const r = await cli(["run", "graphs/test-tone.json", "--set", "tone.amplitude=0.25", "--out", out, "--json"]);
    expect(r.code).toBe(0);
    const j = JSON.parse(r.out);
    expect(j.status).toBe("finished");
    expect(Object.keys(j.timings).sort()).toEqual(["info", "peak", "save", "tone"]);
    expect(j.outputs).toHaveLength(1);
    expect(j.outputs[0].file.startsWith(out)).toBe(true);
    expect(statSync(j.outputs[0].file).size).toBeGreaterThan(1000);
  });

  it("refuses a run whose override is out of range, naming node and field", async () => {
    const r = await cli(["run", "graphs/test-tone.json", "--set", "tone.amplitude=3"]);
    expect(r.code).toBe(1);
    expect(r.err).toMatch(/node "tone" field "amplitude": 3 is above the maximum 1/);
  });

  it("writes tiny official-layout checkpoints and converts them (models tiny, models convert, models list)", async () => {
    const ck = join(dir, "ck");
    const models = join(dir, "models");
    const t = await cli([
      "models",
      "tiny",
      "--out",
      ck,
      "--only",
      "Qwen3-Embedding-0.6B",
      "--only",
      "acestep-v15-turbo",
    ]);
    expect(t.code).toBe(0);
    expect(t.out).toContain("acestep-v15-turbo");
    expect(readdirSync(ck).sort()).toEqual(["Qwen3-Embedding-0.6B", "acestep-v15-turbo", "loras"]);
    expect((await cli(["models", "tiny", "--out", ck, "--only", "acestep-v15-xl"])).err).toMatch(
      /unknown component\(s\) "acestep-v15-xl" \(known: turbo \(acestep-v15-turbo\)/,
    );
    const c = await cli([
      "models",
      "convert",
      "--from",
      ck,
      "--to",
      models,
      "--only",
      "Qwen3-Embedding-0.6B",
      "--demo",
    ]);
    expect(c.code).toBe(0);
    expect(c.out).toContain("converted: Qwen3-Embedding-0.6B");
    expect(c.err).toMatch(/1\/1 Qwen3-Embedding-0\.6B: done/);
    const again = await cli(["models", "convert", "--from", ck, "--to", models, "--only", "Qwen3-Embedding-0.6B"]);
    expect(again.out).toContain("unchanged: Qwen3-Embedding-0.6B");
    const l = await cli(["models", "list", "--dir", models]);
    expect(l.out).toMatch(/Qwen3-Embedding-0\.6B\s+textEncoder\s+fp32/);
    expect(l.out).toMatch(
      /missing[^]*acestep-v15-sft\s+dit\s+huggingface-cli download ACE-Step\/acestep-v15-sft .*--only acestep-v15-sft/,
    );
    expect((await cli(["models", "convert", "--from", join(dir, "nope"), "--to", models])).err).toMatch(
      /does not exist/,
    );
    // models tiny also wrote a PEFT adapter for the tiny DiT; inspect reports it and which DiT it fits
    expect(t.out).toContain(join(ck, "loras", "tiny-demo-lora"));
    const i = await cli(["models", "lora", "inspect", join(ck, "loras", "tiny-demo-lora"), "--dir", models]);
    expect(i.code).toBe(0);
    expect(i.out).toMatch(/format: +PEFT/);
    expect(i.out).toMatch(/rank: +4\n/);
    expect(i.out).toMatch(/alpha: +8 +\(scaling alpha\/r = 2\)/);
    expect(i.out).toMatch(/self_attn\.q_proj \[layers 0–1\]/);
    expect(i.out).toMatch(/yes +tiny demo DiT/);
    expect(i.out).toMatch(
      /no +ACE-Step 1\.5 2B DiT .*key "base_model\.model\.layers\.0\.cross_attn\.k_proj\.lora_A\.weight"/,
    );
    const bad = await cli(["models", "lora", "inspect", join(ck, "acestep-v15-turbo", "model.safetensors")]);
    expect(bad.code).toBe(1);
    expect(bad.err).toMatch(/key "decoder\.[^"]+": not a LoRA tensor/);
  });

  it("worker: missing or bad options exit 2 naming them; an unreachable coordinator exits 1 saying so", async () => {
    const none = { ACESTEP_REDIS_URL: "", ACESTEP_API_TOKEN: "" };
    const missing = await runCliInProcess(["worker"], none);
    expect(missing.code).toBe(2);
    expect(missing.err).toContain("missing --redis, --server, --token");
    const base = ["worker", "--redis", "redis://127.0.0.1:1", "--token", "t"];
    const badUrl = await runCliInProcess([...base, "--server", "coordinator:3000"], none);
    expect([badUrl.code, badUrl.err]).toEqual([2, expect.stringContaining("--server must be a URL")]);
    const badN = await runCliInProcess([...base, "--server", "http://127.0.0.1:1", "--concurrency", "0"], none);
    expect([badN.code, badN.err]).toEqual([2, expect.stringContaining("--concurrency must be a whole number")]);
    const away = await runCliInProcess([...base, "--server", "http://127.0.0.1:1", "--data", join(dir, "w")], none);
    expect(away.code).toBe(1);
    expect(away.err).toContain("the coordinator http://127.0.0.1:1 cannot be reached");
  });

  it("lists and describes nodes", async () => {
    expect((await cli(["nodes"])).out).toContain("audio.testTone");
    const d = await cli(["nodes", "audio.testTone"]);
    expect(d.out).toMatch(/amplitude: number = 0.5 \(min 0, max 1\)/);
    expect(JSON.parse((await cli(["nodes", "audio.testTone", "--json"])).out).outputs.audio.type).toBe("AUDIO");
    expect((await cli(["bogus"])).code).toBe(2);
  });
});
