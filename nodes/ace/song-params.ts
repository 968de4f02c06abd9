// Song fields as params, shared by the nodes that take a caption, lyrics and metadata.
// Ranges follow the official GenerationParams (caption < 512 chars, lyrics < 4096, bpm 30–300,
// duration 10–600 s, time signatures 2/3/4/6, the 70 keyscales, the 51 vocal languages).
import { param } from "../params";
import type { FieldIssue } from "../define-node";
import { KEYSCALES } from "../../server/lm/constrained/constants";
import { VALID_LANGUAGES } from "../../server/acestep/languages";

export const KEYSCALE_OPTIONS = ["", ...KEYSCALES] as [string, ...string[]];
/**
 * What the editor offers: upstream accepts 70 spellings (acestep/constants.py VALID_KEYSCALES:
 * notes × {"", "#", "b", "♯", "♭"} × modes), which name 17 distinct keys per mode twice or more
 * (A#/A♯, E#/F, Cb/B…). One ASCII spelling each, sharps and flats as musicians write them.
 */
export const KEYSCALE_CHOICES = [
  "",
  ...["major", "minor"].flatMap((mode) =>
    ["C", "C#", "Db", "D", "D#", "Eb", "E", "F", "F#", "Gb", "G", "G#", "Ab", "A", "A#", "Bb", "B"].map(
      (k) => `${k} ${mode}`,
    ),
  ),
];
export const TIMESIGNATURE_OPTIONS = ["", "2", "3", "4", "6"] as const;
export const LANGUAGE_OPTIONS = [...VALID_LANGUAGES] as [string, ...string[]];

export const captionParam = () =>
  param.string({
    default: "",
    multiline: true,
    maxLength: 512,
    description: "Caption: style, genre, instruments, mood (under 512 characters)",
  });
export const lyricsParam = () =>
  param.string({
    default: "",
    multiline: true,
    maxLength: 4096,
    description: "Lyrics with [verse]/[chorus] tags; [Instrumental] for no vocals (under 4096 characters)",
  });

export const metaParams = () => ({
  bpm: param.int({ default: 0, min: 0, max: 300, description: "Tempo in BPM (30–300); 0 = not set (N/A)" }),
  keyscale: param.enum(KEYSCALE_OPTIONS, {
    default: "",
    choices: KEYSCALE_CHOICES,
    description: "Key and scale, e.g. 'G major'; empty = not set",
  }),
  timesignature: param.enum(TIMESIGNATURE_OPTIONS, {
    default: "",
    description: "Beats per bar (2, 3, 4 or 6); empty = not set",
  }),
  duration: param.float({
    default: -1,
    min: -1,
    max: 600,
    step: 1,
    description: "Duration in seconds (10–600); -1 = not set",
  }),
});

export const languageParam = () =>
  param.enum(LANGUAGE_OPTIONS, { default: "en", description: "Vocal language (ISO code; 'unknown' when unsure)" });

export function metaIssues(p: { bpm: number; duration: number }): FieldIssue[] {
  const issues: FieldIssue[] = [];
  if (p.bpm !== 0 && (p.bpm < 30 || p.bpm > 300))
    issues.push({ field: "bpm", message: `bpm must be 30–300 (or 0 for not set), got ${p.bpm}`, received: p.bpm });
  if (p.duration !== -1 && (p.duration < 10 || p.duration > 600))
    issues.push({
      field: "duration",
      message: `duration must be 10–600 seconds (or -1 for not set), got ${p.duration}`,
      received: p.duration,
    });
  return issues;
}
