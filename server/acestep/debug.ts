// Debug helpers for the CLI: show the exact prompts, schedules and code decodings the engine will use.
// Pure functions over the modules of this folder; nothing here loads a model.

import { parseAudioCodes } from "./codes/audio-codes";
import { indexToDigits, indexToValues } from "./codes/fsq";
import { formatLyricPrompt } from "./prompts/lyric-prompt";
import { formatTextPrompt } from "./prompts/text-prompt";
import { buildSchedule } from "./sampling/schedule";
import { type ModelVariant, type TaskType, generateInstruction } from "./tasks/instructions";

export interface DebugPromptInput {
  caption: string;
  lyrics: string;
  bpm?: number | string | null;
  keyscale?: string | null;
  timesignature?: string | number | null;
  duration?: number | null;
  /** Vocal language code (default "unknown", the Python API default). */
  language?: string | null;
  /** Default "text2music". */
  task?: TaskType;
  /** extract/lego: one stem; complete: a list of stems (or one). */
  track?: string | readonly string[] | null;
  /** Overrides the task's generated instruction. */
  instruction?: string | null;
}

/** The DiT text-encoder prompt and lyric prompt for these inputs. */
export function debugPrompt(input: DebugPromptInput): { textPrompt: string; lyricPrompt: string } {
  const task = input.task ?? "text2music";
  const tracks =
    input.track === null || input.track === undefined
      ? []
      : typeof input.track === "string"
        ? [input.track]
        : [...input.track];
  const instruction =
    input.instruction ?? generateInstruction(task, { trackName: tracks[0] ?? null, completeTrackClasses: tracks });
  const textPrompt = formatTextPrompt({
    instruction,
    caption: input.caption,
    metas: { bpm: input.bpm, keyscale: input.keyscale, timesignature: input.timesignature, duration: input.duration },
  });
  const lyricPrompt = formatLyricPrompt(input.lyrics, input.language ?? "unknown");
  return { textPrompt, lyricPrompt };
}

/** The closed timestep schedule t_0 … t_N (ending in 0) a model would run. */
export function debugSchedule(input: {
  model: ModelVariant;
  shift: number;
  steps?: number;
  timesteps?: readonly number[] | null;
}): number[] {
  return buildSchedule({ model: input.model, shift: input.shift, steps: input.steps, timesteps: input.timesteps })
    .timesteps;
}

export interface DebugCode {
  index: number;
  /** Level index per FSQ dimension (levels 8,8,8,5,5,5). */
  digits: number[];
  /** The normalised FSQ values fed to project_out. */
  values: number[];
}

/** Parse a `<|audio_code_N|>` string (clamped like upstream) and decode every code. */
export function debugCodes(codeString: string): DebugCode[] {
  return parseAudioCodes(codeString).map((index) => ({
    index,
    digits: indexToDigits(index),
    values: Array.from(indexToValues(index)),
  }));
}
