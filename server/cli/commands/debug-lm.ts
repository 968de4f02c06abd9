// `acestep debug lm-prompt --mode generate|codes|understand|create|format [fields…] [--thinking on|off]
// [--use-cot-metas|caption|language|lyrics on|off]`: the exact LM prompt string of a mode, its token ids, and what the
// use_cot_* switches make generate_music's LM do (phases run, FSM fields skipped).
import { parseArgs } from "node:util";
import { debugLmPrompt, type DebugPromptMode } from "../../lm/debug";
import type { CotMetadata } from "../../lm/prompts";
import { planLm } from "../../lm/use-cot";

const ON_OFF: Record<string, boolean> = { on: true, true: true, "1": true, off: false, false: false, "0": false };

const MODES: Record<string, DebugPromptMode> = {
  generate: "cot",
  cot: "cot",
  codes: "codes",
  understand: "understand",
  create: "create_sample",
  format: "format_sample",
};

export function debugLmPromptCommand(argv: string[]): number {
  const { values } = parseArgs({
    args: argv,
    options: {
      mode: { type: "string" },
      caption: { type: "string" },
      lyrics: { type: "string" },
      bpm: { type: "string" },
      keyscale: { type: "string" },
      timesignature: { type: "string" },
      duration: { type: "string" },
      language: { type: "string" },
      codes: { type: "string" },
      query: { type: "string" },
      instrumental: { type: "boolean" },
      negative: { type: "string" },
      uncond: { type: "boolean" },
      layout: { type: "string" },
      tokenizer: { type: "string" },
      json: { type: "boolean" },
      thinking: { type: "string" },
      "use-cot-metas": { type: "string" },
      "use-cot-caption": { type: "string" },
      "use-cot-language": { type: "string" },
      "use-cot-lyrics": { type: "string" },
      task: { type: "string" },
    },
  });
  const switches = {
    thinking: true,
    useCotMetas: true,
    useCotCaption: true,
    useCotLanguage: true,
    useCotLyrics: false,
  };
  const flags: Array<[keyof typeof switches, string | undefined, string]> = [
    ["thinking", values.thinking, "--thinking"],
    ["useCotMetas", values["use-cot-metas"], "--use-cot-metas"],
    ["useCotCaption", values["use-cot-caption"], "--use-cot-caption"],
    ["useCotLanguage", values["use-cot-language"], "--use-cot-language"],
    ["useCotLyrics", values["use-cot-lyrics"], "--use-cot-lyrics"],
  ];
  for (const [key, v, flag] of flags) {
    if (v === undefined) continue;
    const on = ON_OFF[v.toLowerCase()];
    if (on === undefined) {
      console.error(`${flag} must be on or off (true/false), got "${v}"`);
      return 2;
    }
    switches[key] = on;
  }
  const mode = values.mode ? MODES[values.mode] : undefined;
  if (!mode) {
    console.error(`--mode must be one of ${Object.keys(MODES).join(", ")}`);
    return 2;
  }
  if (values.layout !== undefined && values.layout !== "open" && values.layout !== "closed") {
    console.error(`--layout must be open or closed, got "${values.layout}"`);
    return 2;
  }
  const metadata: CotMetadata = {
    bpm: values.bpm,
    caption: values.caption,
    duration: values.duration,
    keyscale: values.keyscale,
    language: values.language,
    timesignature: values.timesignature,
  } as CotMetadata;
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
  // what generate_music's LM would do with these switches (phases, FSM skips), as upstream's use_cot_* decide
  const num = (v?: string) => (v === undefined || v === "" ? null : Number(v));
  const plan = planLm({
    caption: values.caption ?? "",
    lyrics: values.lyrics ?? "",
    bpm: num(values.bpm),
    keyscale: values.keyscale,
    timesignature: values.timesignature,
    duration: num(values.duration),
    vocalLanguage: values.language,
    audioCodes: values.codes,
    taskType: values.task ?? "text2music",
    ...switches,
  });
  const planned = {
    useLm: plan.useLm,
    runCot: plan.runCot,
    runCodes: plan.runCodes,
    skipCaption: plan.cot.skipCaption,
    skipLanguage: plan.cot.skipLanguage,
  };
  if (values.json) console.log(JSON.stringify({ ...r, plan: planned }));
  else {
    console.log("=== LM plan (use_cot_*) ===");
    console.log(JSON.stringify(planned));
    console.log("=== prompt ===");
    console.log(JSON.stringify(r.prompt));
    console.log(r.prompt);
    console.log(`=== ${r.ids.length} token ids ===`);
    console.log(r.ids.join(" "));
  }
  return 0;
}
