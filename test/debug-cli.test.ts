import { afterEach, describe, expect, it, vi } from "vitest";
import { main } from "../server/cli/main";

async function capture(argv: string[]): Promise<{ code: number; out: string; err: string }> {
  const out: string[] = [];
  const err: string[] = [];
  const log = vi.spyOn(console, "log").mockImplementation((...a) => void out.push(a.join(" ")));
  const error = vi.spyOn(console, "error").mockImplementation((...a) => void err.push(a.join(" ")));
  try {
    const code = await main(argv);
    return { code, out: out.join("\n"), err: err.join("\n") };
  } finally {
    log.mockRestore();
    error.mockRestore();
  }
}
afterEach(() => vi.restoreAllMocks());

describe("acestep debug", () => {
  it("prints the exact DiT text and lyric prompts", async () => {
    const r = await capture([
      "debug",
      "prompt",
      "--caption",
      "lofi piano",
      "--bpm",
      "90",
      "--duration",
      "30",
      "--lyrics",
      "[verse]",
      "--language",
      "en",
    ]);
    expect(r.code).toBe(0);
    expect(r.out).toContain(
      JSON.stringify(
        "# Instruction\nFill the audio semantic mask based on the given conditions:\n\n# Caption\nlofi piano\n\n# Metas\n- bpm: 90\n- timesignature: N/A\n- keyscale: N/A\n- duration: 30 seconds\n<|endoftext|>\n",
      ),
    );
    expect(r.out).toContain(JSON.stringify("# Languages\nen\n\n# Lyric\n[verse]<|endoftext|>"));
  });

  it("prints the turbo shift-3 schedule, one timestep per line", async () => {
    const r = await capture(["debug", "schedule", "--model", "turbo", "--shift", "3"]);
    expect(r.out.split("\n").map(Number)).toEqual([
      1, 0.9545454545454546, 0.9, 0.8333333333333334, 0.75, 0.6428571428571429, 0.5, 0.3, 0,
    ]);
  });

  it("decodes codes into FSQ digits and values, clamping out-of-range codes", async () => {
    const r = await capture(["debug", "codes", "<|audio_code_0|><|audio_code_63999|><|audio_code_70000|>"]);
    const lines = r.out.split("\n");
    expect(lines[0]).toMatch(/^0\tdigits 0,0,0,0,0,0\tvalues -1\.000000/);
    expect(lines[1]).toMatch(/^63999\tdigits 7,7,7,4,4,4\tvalues 1\.000000/);
    expect(lines[2]).toMatch(/^63999\t/);
  });

  it("prints an LM prompt with its token ids", async () => {
    const r = await capture([
      "debug",
      "lm-prompt",
      "--mode",
      "generate",
      "--caption",
      "lofi piano",
      "--lyrics",
      "[Instrumental]",
      "--json",
    ]);
    const j = JSON.parse(r.out);
    expect(
      j.prompt.startsWith(
        "<|im_start|>system\n# Instruction\nGenerate audio semantic tokens based on the given conditions:\n\n<|im_end|>\n",
      ),
    ).toBe(true);
    expect(j.ids.slice(0, 6)).toEqual([151644, 8948, 198, 2, 29051, 198]);
    expect(j.ids.at(-3)).toBe(151644);
  });

  it("shows what the use_cot_* switches make the LM do", async () => {
    const plan = async (...a: string[]) =>
      JSON.parse((await capture(["debug", "lm-prompt", "--mode", "generate", "--caption", "x", "--json", ...a])).out)
        .plan;
    expect(await plan()).toEqual({
      useLm: true,
      runCot: true,
      runCodes: true,
      skipCaption: false,
      skipLanguage: false,
    });
    expect(await plan("--use-cot-caption", "off", "--use-cot-language", "off")).toMatchObject({
      skipCaption: true,
      skipLanguage: true,
    });
    expect(await plan("--use-cot-metas", "off", "--thinking", "off")).toMatchObject({ runCot: false, runCodes: false });
    expect(
      await plan("--bpm", "90", "--keyscale", "C major", "--timesignature", "4", "--duration", "30"),
    ).toMatchObject({ runCot: false, runCodes: true });
    expect((await capture(["debug", "lm-prompt", "--mode", "generate", "--thinking", "maybe"])).err).toMatch(
      /--thinking must be on or off/,
    );
  });

  it("refuses unknown modes and models with usage errors", async () => {
    expect((await capture(["debug", "lm-prompt", "--mode", "sing"])).code).toBe(2);
    expect((await capture(["debug", "schedule", "--model", "xl"])).code).toBe(2);
  });
});
