// Per-task conditioning plan: which instruction, is_cover, chunk mask and source latents a request needs.
// Ports the decisions (not the tensors) of acestep/handler.py `generate_music` (text2music + codes → cover),
// `determine_task_type`, `prepare_padding_info`, `_prepare_batch` (chunk masks, is_covers, src_latents),
// `prepare_condition`'s `src = is_cover ? hints : src`, and inference.py's routing (LM skipped for cover and
// repaint; cover without audio or codes → text2music) — ace-step/ACE-Step-1.5 @ f30aee4 — plus the newer
// `conditioning_masks.py` differences (is_cover from the task type, lego keeps its source, repaint injection).
// Spec: tasks.md §3.1 (table), §4, §5, §7; sampling.md §2, §8.

import { parseAudioCodes } from "../codes/audio-codes";
import { latentFramesForCodes, latentFramesForDuration } from "../sampling/schedule";
import {
  type ModelVariant, type TaskType, TASK_INSTRUCTIONS, DEFAULT_DIT_INSTRUCTION, formatInstruction, generateInstruction,
  instructionLooksLikeCover, variantSupportsTask,
} from "./instructions";
import { type FrameWindow, type RepaintPadding, type UpstreamEra, framesForSamples, planRepaintPadding, windowToFrames } from "./repaint";

/** What fills the 64 "source" channels of the DiT context. */
export type SrcLatentsKind =
  /** silence_latent (text2music without codes). */
  | "silence"
  /** detokenized LM/user codes (T = 5·codes, min 128). */
  | "code-hints"
  /** detokenize(tokenize(VAE(source))): cover from audio, through the lossy FSQ bottleneck. */
  | "source-tokenized"
  /** VAE(source) unchanged (extract, complete, newer lego). */
  | "source"
  /** VAE(source) with the window replaced by silence_latent frames (repaint; Feb lego). */
  | "source-window-silenced";

export interface ConditioningRequest {
  task: TaskType;
  /** Checkpoint family, for the supported-task check. */
  variant?: ModelVariant;
  /** `instruction` as given by the caller; empty → generated from the task (handler.generate_instruction). */
  instruction?: string | null;
  trackName?: string | null;
  completeTrackClasses?: readonly string[] | null;
  /** Requested duration in seconds (≤ 0 / null = unset). */
  duration?: number | null;
  /** Source audio length in 48 kHz samples, when a source file is given. */
  srcSamples?: number | null;
  /** Latent length the VAE produced for the (padded) source, if known; else estimated as samples // 1920. */
  srcFrames?: number | null;
  hasReferenceAudio?: boolean;
  /** LM or user code string. */
  audioCodes?: string | null;
  repaintingStart?: number | null;
  repaintingEnd?: number | null;
  audioCoverStrength?: number;
  /** "feb" (default, the primary snapshot) or "newer" upstream behaviour where they differ. */
  era?: UpstreamEra;
}

export interface ConditioningPlan {
  /** The task actually run (text2music with codes becomes cover; cover without input becomes text2music). */
  task: TaskType;
  /** Formatted instruction (ends with ":"). */
  instruction: string;
  isCover: boolean;
  srcLatents: SrcLatentsKind;
  /** Chunk mask: all ones, or 1 only inside the frame window. */
  chunkMask: { kind: "all" } | ({ kind: "window" } & FrameWindow);
  /** Latent frames T when known from the request (codes, duration or source length); null when upstream
   *  would pick a random 10–120 s duration. */
  frames: number | null;
  codeCount: number;
  /** Out-painting pads and shifted bounds (repaint / lego with source). */
  padding: RepaintPadding | null;
  /** Whether the 5 Hz LM may run (CoT metas / codes) for this task: skipped for cover and repaint, decided
   *  before text2music-with-codes turns into cover. */
  usesLm: boolean;
  /** Whether the LM would generate the codes (LM allowed and no codes given; also needs thinking = true). */
  lmGeneratesCodes: boolean;
  /** audio_cover_strength < 1 → a second conditioning with the text2music instruction, is_cover 0, silence. */
  nonCover: { instruction: string; isCover: false; srcLatents: "silence" } | null;
  /** Newer upstream only: repaint injection + boundary crossfade are active. */
  repaintInjection: boolean;
  warnings: string[];
}

export function planConditioning(req: ConditioningRequest): ConditioningPlan {
  const warnings: string[] = [];
  const era = req.era ?? "feb";
  const codes = parseAudioCodes(req.audioCodes);
  const hasCodes = !!req.audioCodes && req.audioCodes.trim() !== "" && codes.length > 0;
  const hasSource = !!req.srcSamples && req.srcSamples > 0;

  let task: TaskType = req.task;
  let instruction = req.instruction && req.instruction.trim() !== "" ? req.instruction : null;

  if (req.variant && !variantSupportsTask(req.variant, task)) {
    warnings.push(`task "${task}" is not supported by ${req.variant} models (base only)`);
  }
  if (task === "cover" && !hasSource && !hasCodes && !req.hasReferenceAudio) {
    warnings.push("cover without source audio, reference audio or codes falls back to text2music");
    task = "text2music";
    if (instruction === TASK_INSTRUCTIONS.cover) instruction = null;
  }
  const lmAllowed = task !== "cover" && task !== "repaint";
  if (task === "text2music" && hasCodes) {
    task = "cover";
    instruction = TASK_INSTRUCTIONS.cover;
  }
  if (hasCodes && hasSource) warnings.push("audio codes given: the source audio is ignored");
  const instr = formatInstruction(
    instruction ?? generateInstruction(task, { trackName: req.trackName, completeTrackClasses: req.completeTrackClasses }),
  );

  // --- window (repaint / lego only, and only with end > start)
  let padding: RepaintPadding | null = null;
  let window: FrameWindow | null = null;
  const useSource = hasSource && !hasCodes;
  let frames: number | null = null;
  if (hasCodes) frames = latentFramesForCodes(codes.length);
  else if (useSource) frames = req.srcFrames ?? framesForSamples(req.srcSamples as number);
  else if (req.duration && req.duration > 0) frames = latentFramesForDuration(req.duration);

  if ((task === "repaint" || task === "lego") && useSource) {
    padding = planRepaintPadding({ srcSamples: req.srcSamples as number, start: req.repaintingStart, end: req.repaintingEnd });
    frames = req.srcFrames ?? framesForSamples(padding.paddedSamples);
    window = windowToFrames(padding.start, padding.end, frames);
  } else if ((task === "repaint" || task === "lego") && !useSource) {
    warnings.push(`${task} without source audio generates from silence (nothing to keep)`);
    // Feb: without a source the bounds are used unpadded, and only an explicit end ≥ 0 makes a window.
    const start = req.repaintingStart ?? 0;
    const end = req.repaintingEnd;
    if (!hasCodes && frames !== null && end !== null && end !== undefined && end >= 0) {
      if (end <= start) throw new RangeError(`repaint window end (${end} s) must be after start (${start} s)`);
      window = windowToFrames(start, end, frames);
    }
  }

  // --- is_cover
  let isCover: boolean;
  if (window) isCover = false;
  else if (era === "feb") isCover = instructionLooksLikeCover(instr) || hasCodes;
  else isCover = task === "cover" || hasCodes;

  // --- source latents
  let srcLatents: SrcLatentsKind;
  if (hasCodes) srcLatents = "code-hints";
  else if (!useSource) srcLatents = "silence";
  else if (window) srcLatents = task === "lego" && era === "newer" ? "source" : "source-window-silenced";
  else srcLatents = isCover ? "source-tokenized" : "source";
  if (isCover && srcLatents === "silence") {
    warnings.push("is_cover with a silent source: the hints come from tokenizing silence");
  }

  const strength = req.audioCoverStrength ?? 1.0;
  const nonCover = strength < 1.0
    ? { instruction: formatInstruction(DEFAULT_DIT_INSTRUCTION), isCover: false as const, srcLatents: "silence" as const }
    : null;

  return {
    task,
    instruction: instr,
    isCover,
    srcLatents,
    chunkMask: window ? { kind: "window", ...window } : { kind: "all" },
    frames,
    codeCount: codes.length,
    padding,
    usesLm: lmAllowed,
    lmGeneratesCodes: lmAllowed && !hasCodes,
    nonCover,
    repaintInjection: era === "newer" && task === "repaint" && window !== null,
    warnings,
  };
}
