// Readable labels and values for the metadata a song result carries (an LM's plan: the
// official cot_* fields, pass flags, timings), instead of raw keys like cot_bpm or cotMs.

const LABELS: Readonly<Record<string, string>> = {
  bpm: "BPM",
  keyscale: "Key",
  timesignature: "Time signature",
  duration: "Duration",
  language: "Language",
  vocal_language: "Vocal language",
  instrumental: "Instrumental",
  genres: "Genres",
  tokens: "Tokens",
  ms: "Time",
  cotMs: "Thinking time",
  codesMs: "Codes time",
  phase1: "Thinking pass",
  codes: "Audio codes",
  note: "Note",
  caption: "Caption",
};

/** "cot_bpm" → "BPM (LM thought)", "cotMs" → "Thinking time", "someKey" → "Some key". */
export function fieldLabel(key: string): string {
  if (LABELS[key]) return LABELS[key];
  const cot = /^cot_(.+)$/.exec(key);
  if (cot) return `${fieldLabel(cot[1])} (LM thought)`;
  const words = key
    .replace(/_/g, " ")
    .replace(/([a-z])([A-Z])/g, "$1 $2")
    .toLowerCase();
  return words.charAt(0).toUpperCase() + words.slice(1);
}

/** A metadata value as text: times in seconds, flags as yes/no, code counts per item, unset as "—". */
export function fieldText(key: string, v: unknown): string {
  if (v === undefined || v === null || v === "") return "—";
  if (typeof v === "boolean") return v ? "yes" : "no";
  if (typeof v === "number" && /ms$|Ms$/.test(key)) return `${(v / 1000).toFixed(1)} s`;
  if (typeof v === "number" && /(^|_)duration$/.test(key)) return `${Math.round(v * 10) / 10} s`;
  if (key === "codes" && Array.isArray(v)) return v.length === 1 ? `${v[0]}` : `${v.join(" + ")} (${v.length} items)`;
  if (typeof v === "number") return Number.isInteger(v) ? String(v) : v.toPrecision(4).replace(/\.?0+$/, "");
  if (typeof v === "string") return v;
  if (Array.isArray(v) && v.every((x) => typeof x === "string")) return v.join(", ");
  return JSON.stringify(v);
}
