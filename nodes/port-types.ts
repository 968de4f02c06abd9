// Port types: the names every node declaration, the validator and the editor agree on.
// Pure module (no Node imports) so the editor can share it.

export const PORT_TYPES = [
  "AUDIO",
  "LATENT",
  "CONDITIONING",
  "AUDIO_CODES",
  "SONG",
  "DIT",
  "LM",
  "VAE",
  "TEXT_ENCODER",
  "STRING",
  "INT",
  "FLOAT",
  "BOOLEAN",
] as const;

export type PortType = (typeof PORT_TYPES)[number];

/** Colours used by the editor for handles and edges (one place, so docs and UI agree). */
export const PORT_COLORS: Record<PortType, string> = {
  AUDIO: "#22c55e",
  LATENT: "#ec4899",
  CONDITIONING: "#f59e0b",
  AUDIO_CODES: "#8b5cf6",
  SONG: "#06b6d4",
  DIT: "#ef4444",
  LM: "#f97316",
  VAE: "#e11d48",
  TEXT_ENCODER: "#eab308",
  STRING: "#94a3b8",
  INT: "#60a5fa",
  FLOAT: "#38bdf8",
  BOOLEAN: "#a3e635",
};

/** Whether an output of type `from` may feed an input of type `to`. INT widens to FLOAT. */
export function canConnect(from: PortType, to: PortType): boolean {
  return from === to || (from === "INT" && to === "FLOAT");
}

/** Why a connection is refused, or null when it is allowed. */
export function connectionRefusal(from: PortType, to: PortType): string | null {
  return canConnect(from, to) ? null : `a ${from} output cannot feed a ${to} input`;
}
