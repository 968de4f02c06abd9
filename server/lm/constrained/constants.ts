// Ports: acestep/constants.py (BPM_MIN/BPM_MAX, DURATION_MIN/DURATION_MAX, VALID_TIME_SIGNATURES,
// VALID_LANGUAGES, the keyscale list) and the field order of acestep/constrained_logits_processor.py
// `_get_next_field_state` and `_build_state_transitions`.

export const BPM_MIN = 30;
export const BPM_MAX = 300;
/** DURATION_MAX: the ≥ 24 GB tier; `max_duration_with_lm` of smaller GPU tiers is 180…480 (acestep/gpu_config.py). */
export { DURATION_MAX, DURATION_MIN } from "../../acestep/sampling/schedule";
/** `VALID_LANGUAGES` (51 codes), one list for the DiT side and the LM. */
export { VALID_LANGUAGES } from "../../acestep/languages";
/** 2, 3, 4, 6 mean 2/4, 3/4, 4/4, 6/8. */
export const VALID_TIME_SIGNATURES = [2, 3, 4, 6] as const;
/** Caption token cap before `\n` is forced. */
export const CAPTION_MAX_TOKENS = 512;

/** {A…G} × {"", "#", "b", "♯", "♭"} × {major, minor} = 70 strings. */
export const KEYSCALES: readonly string[] = (() => {
  const out: string[] = [];
  for (const note of ["A", "B", "C", "D", "E", "F", "G"])
    for (const acc of ["", "#", "b", "♯", "♭"])
      for (const mode of ["major", "minor"]) out.push(`${note}${acc} ${mode}`);
  return out;
})();

/** CoT field order (alphabetical). */
export const FIELD_ORDER = ["bpm", "caption", "duration", "genres", "keyscale", "language", "timesignature"] as const;
export type FieldName = (typeof FIELD_ORDER)[number];
