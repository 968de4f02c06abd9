// `acestep debug prompt|schedule|codes|lm-prompt`: print the exact intermediate facts the
// engine uses (prompt strings, timesteps, FSQ decodings, LM prompts and token ids).
import { parseArgs } from "node:util";
import { debugCodes, debugPrompt, debugSchedule } from "../../acestep/debug";
import { MODEL_VARIANTS, TASK_TYPES, type ModelVariant, type TaskType } from "../../acestep/tasks/instructions";
import { debugLmPromptCommand } from "./debug-lm";

const USAGE = `usage:
  acestep debug prompt --caption <s> [--lyrics <s>] [--bpm N] [--keyscale <s>] [--timesignature N] [--duration S]
                       [--language <code>] [--task <type>] [--track <name>]...
  acestep debug schedule --model turbo|base|sft [--shift X] [--steps N]
  acestep debug codes "<|audio_code_1|><|audio_code_2|>…"
  acestep debug lm-prompt --mode generate|codes|understand|create|format [--caption <s>] [--lyrics <s>] …
      [--thinking on|off] [--use-cot-metas|--use-cot-caption|--use-cot-language on|off]`;

type Cmd = (argv: string[]) => number | Promise<number>;
const extra = new Map<string, Cmd>([["lm-prompt", debugLmPromptCommand]]);

function num(v: string | undefined, name: string): number | undefined {
  if (v === undefined) return undefined;
  const n = Number(v);
  if (!Number.isFinite(n)) throw new Error(`--${name} must be a number, got "${v}"`);
  return n;
}

export async function debugCommand(argv: string[]): Promise<number> {
  const [sub, ...rest] = argv;
  if (sub === "prompt") {
    const { values } = parseArgs({
      args: rest,
      options: {
        caption: { type: "string" },
        lyrics: { type: "string" },
        bpm: { type: "string" },
        keyscale: { type: "string" },
        timesignature: { type: "string" },
        duration: { type: "string" },
        language: { type: "string" },
        task: { type: "string" },
        track: { type: "string", multiple: true },
      },
    });
    if (values.caption === undefined) return usage();
    if (values.task !== undefined && !(TASK_TYPES as readonly string[]).includes(values.task)) {
      console.error(`--task must be one of ${TASK_TYPES.join(", ")}, got "${values.task}"`);
      return 2;
    }
    const r = debugPrompt({
      caption: values.caption,
      lyrics: values.lyrics ?? "",
      bpm: num(values.bpm, "bpm"),
      keyscale: values.keyscale,
      timesignature: values.timesignature,
      duration: num(values.duration, "duration"),
      language: values.language,
      task: values.task as TaskType | undefined,
      track: values.track,
    });
    console.log("=== text encoder prompt ===");
    console.log(JSON.stringify(r.textPrompt));
    console.log(r.textPrompt);
    console.log("=== lyric prompt ===");
    console.log(JSON.stringify(r.lyricPrompt));
    console.log(r.lyricPrompt);
    return 0;
  }
  if (sub === "schedule") {
    const { values } = parseArgs({
      args: rest,
      options: { model: { type: "string" }, shift: { type: "string" }, steps: { type: "string" } },
    });
    if (!values.model || !(MODEL_VARIANTS as readonly string[]).includes(values.model)) {
      console.error(`--model must be one of ${MODEL_VARIANTS.join(", ")}`);
      return 2;
    }
    for (const t of debugSchedule({
      model: values.model as ModelVariant,
      shift: num(values.shift, "shift") ?? (values.model === "turbo" ? 3 : 1),
      steps: num(values.steps, "steps"),
    }))
      console.log(t);
    return 0;
  }
  if (sub === "codes") {
    if (rest.length !== 1) return usage();
    for (const c of debugCodes(rest[0]))
      console.log(`${c.index}\tdigits ${c.digits.join(",")}\tvalues ${c.values.map((v) => v.toFixed(6)).join(",")}`);
    return 0;
  }
  const cmd = sub ? extra.get(sub) : undefined;
  if (cmd) return cmd(rest);
  return usage();
}

function usage(): number {
  console.error(USAGE);
  return 2;
}
