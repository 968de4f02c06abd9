// `acestep debug lm-prompt --mode generate|codes|understand|create|format [fields…]`:
// the exact LM prompt string of a mode and its token ids.
import { parseArgs } from "node:util";
import { debugLmPrompt, type DebugPromptMode } from "../../lm/debug";
import type { CotMetadata } from "../../lm/prompts";

const MODES: Record<string, DebugPromptMode> = { generate: "cot", cot: "cot", codes: "codes", understand: "understand", create: "create_sample", format: "format_sample" };

export function debugLmPromptCommand(argv: string[]): number {
  const { values } = parseArgs({
    args: argv,
    options: {
      mode: { type: "string" }, caption: { type: "string" }, lyrics: { type: "string" }, bpm: { type: "string" }, keyscale: { type: "string" },
      timesignature: { type: "string" }, duration: { type: "string" }, language: { type: "string" }, codes: { type: "string" }, query: { type: "string" },
      instrumental: { type: "boolean" }, negative: { type: "string" }, uncond: { type: "boolean" }, layout: { type: "string" }, tokenizer: { type: "string" },
      json: { type: "boolean" },
    },
  });
  const mode = values.mode ? MODES[values.mode] : undefined;
  if (!mode) {
    console.error(`--mode must be one of ${Object.keys(MODES).join(", ")}`);
    return 2;
  }
  if (values.layout !== undefined && values.layout !== "open" && values.layout !== "closed") {
    console.error(`--layout must be open or closed, got "${values.layout}"`);
    return 2;
  }
  const metadata: CotMetadata = { bpm: values.bpm, caption: values.caption, duration: values.duration, keyscale: values.keyscale, language: values.language, timesignature: values.timesignature } as CotMetadata;
  const r = debugLmPrompt({
    mode,
    caption: values.caption,
    lyrics: values.lyrics,
    metadata,
    codes: values.codes,
    query: values.query,
    instrumental: values.instrumental,
    negative: values.negative,
    uncond: values.uncond,
    layout: values.layout as "open" | "closed" | undefined,
    tokenizerPath: values.tokenizer,
  });
  if (values.json) console.log(JSON.stringify(r));
  else {
    console.log("=== prompt ===");
    console.log(JSON.stringify(r.prompt));
    console.log(r.prompt);
    console.log(`=== ${r.ids.length} token ids ===`);
    console.log(r.ids.join(" "));
  }
  return 0;
}
