// Task types, DiT task instructions and track names. Ports acestep/constants.py (`TASK_TYPES`,
// `TASK_TYPES_TURBO`, `TASK_TYPES_BASE`, `TASK_INSTRUCTIONS`, `TRACK_NAMES`, `DEFAULT_DIT_INSTRUCTION`,
// `DEFAULT_LM_INSTRUCTION`) and acestep/handler.py `generate_instruction` / `_format_instruction`
// (ace-step/ACE-Step-1.5 @ f30aee4).

/** The six task types, in upstream order. */
export const TASK_TYPES = ["text2music", "repaint", "cover", "extract", "lego", "complete"] as const;
export type TaskType = (typeof TASK_TYPES)[number];

/** DiT checkpoint families. */
export const MODEL_VARIANTS = ["turbo", "sft", "base"] as const;
export type ModelVariant = (typeof MODEL_VARIANTS)[number];

/** Tasks each model variant supports (README model table; `TASK_TYPES_TURBO` / `TASK_TYPES_BASE`). */
export const TASKS_BY_VARIANT: Readonly<Record<ModelVariant, readonly TaskType[]>> = {
  turbo: ["text2music", "repaint", "cover"],
  sft: ["text2music", "repaint", "cover"],
  base: TASK_TYPES,
};

export function variantSupportsTask(variant: ModelVariant, task: TaskType): boolean {
  return TASKS_BY_VARIANT[variant].includes(task);
}

/** What a task reads besides the caption and lyrics (handler `_prepare_batch`, `prepare_padding_info`). */
export interface TaskTraits {
  /** The source audio: required, optional (cover: source audio, audio codes or a reference) or not read. */
  source: "required" | "optional" | "none";
  /** A repaint window (`repainting_start` / `repainting_end`). */
  window: boolean;
  /** Stem names the instruction carries: one (`{TRACK_NAME}`), several (`{TRACK_CLASSES}`) or none. */
  tracks: "one" | "many" | "none";
}

/**
 * The one task table: the graph builder (server/api/build-graph.ts), the task latents
 * (server/pipeline/task-latents.ts) and the task nodes (nodes/ace/tasks.ts) read it; which model variant runs a
 * task is TASKS_BY_VARIANT.
 */
export const TASK_TRAITS: Readonly<Record<TaskType, TaskTraits>> = {
  text2music: { source: "none", window: false, tracks: "none" },
  cover: { source: "optional", window: false, tracks: "none" },
  repaint: { source: "required", window: true, tracks: "none" },
  lego: { source: "required", window: true, tracks: "one" },
  extract: { source: "required", window: false, tracks: "one" },
  complete: { source: "required", window: false, tracks: "many" },
};

/** `TASK_INSTRUCTIONS`, exact strings including the `{TRACK_NAME}` / `{TRACK_CLASSES}` placeholders. */
export const TASK_INSTRUCTIONS = {
  text2music: "Fill the audio semantic mask based on the given conditions:",
  repaint: "Repaint the mask area based on the given conditions:",
  cover: "Generate audio semantic tokens based on the given conditions:",
  extract: "Extract the {TRACK_NAME} track from the audio:",
  extract_default: "Extract the track from the audio:",
  lego: "Generate the {TRACK_NAME} track based on the audio context:",
  lego_default: "Generate the track based on the audio context:",
  complete: "Complete the input track with {TRACK_CLASSES}:",
  complete_default: "Complete the input track:",
} as const;

/** `DEFAULT_DIT_INSTRUCTION` (= the text2music instruction). */
export const DEFAULT_DIT_INSTRUCTION = TASK_INSTRUCTIONS.text2music;
/** `DEFAULT_LM_INSTRUCTION` (= the cover instruction). */
export const DEFAULT_LM_INSTRUCTION = TASK_INSTRUCTIONS.cover;

/** The 12 stem names, in `TRACK_NAMES` order. */
export const TRACK_NAMES = [
  "woodwinds",
  "brass",
  "fx",
  "synth",
  "strings",
  "percussion",
  "keyboard",
  "guitar",
  "bass",
  "drums",
  "backing_vocals",
  "vocals",
] as const;
export type TrackName = (typeof TRACK_NAMES)[number];

export interface InstructionOptions {
  /** extract / lego: the stem (upper-cased into the instruction). Empty → the `_default` instruction. */
  trackName?: string | null;
  /** complete: the stems to add (upper-cased, joined by " | "). Empty → `complete_default`. */
  completeTrackClasses?: readonly string[] | null;
}

/** `handler.generate_instruction(task_type, track_name, complete_track_classes)`. */
export function generateInstruction(task: TaskType, opts: InstructionOptions = {}): string {
  switch (task) {
    case "text2music":
    case "repaint":
    case "cover":
      return TASK_INSTRUCTIONS[task];
    case "extract":
      return opts.trackName
        ? TASK_INSTRUCTIONS.extract.replace("{TRACK_NAME}", opts.trackName.toUpperCase())
        : TASK_INSTRUCTIONS.extract_default;
    case "lego":
      return opts.trackName
        ? TASK_INSTRUCTIONS.lego.replace("{TRACK_NAME}", opts.trackName.toUpperCase())
        : TASK_INSTRUCTIONS.lego_default;
    case "complete": {
      const classes = opts.completeTrackClasses ?? [];
      return classes.length > 0
        ? TASK_INSTRUCTIONS.complete.replace("{TRACK_CLASSES}", classes.map((c) => c.toUpperCase()).join(" | "))
        : TASK_INSTRUCTIONS.complete_default;
    }
  }
}

/** `handler._format_instruction`: append ":" unless the instruction already ends with one. */
export function formatInstruction(instruction: string): string {
  return instruction.endsWith(":") ? instruction : `${instruction}:`;
}
