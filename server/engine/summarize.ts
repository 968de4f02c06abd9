// Small JSON summaries of port values for events and run records (never raw sample data).
import type { PortType } from "../../nodes/port-types";
import type { PortValueTypes } from "../../nodes/values";

export function summarizeValue(type: PortType, value: unknown): unknown {
  if (value === undefined || value === null) return null;
  switch (type) {
    case "AUDIO": {
      const a = value as PortValueTypes["AUDIO"];
      const frames = a.channels[0]?.length ?? 0;
      return {
        sampleRate: a.sampleRate,
        channels: a.channels.length,
        seconds: a.sampleRate ? frames / a.sampleRate : 0,
        demo: a.demo ?? false,
      };
    }
    case "LATENT": {
      const l = value as PortValueTypes["LATENT"];
      return { shape: l.shape, demo: l.demo ?? false };
    }
    case "AUDIO_CODES": {
      const c = value as PortValueTypes["AUDIO_CODES"];
      return { items: c.codes.length, codesPerItem: c.codes.map((x) => x.length) };
    }
    case "CONDITIONING": {
      const c = value as PortValueTypes["CONDITIONING"];
      return Object.fromEntries(Object.entries(c.tensors).map(([k, t]) => [k, t.shape]));
    }
    case "SONG":
      return value;
    case "DIT":
    case "LM":
    case "VAE":
    case "TEXT_ENCODER": {
      const m = value as PortValueTypes["DIT"];
      return { name: m.name, demo: m.demo };
    }
    case "STRING": {
      const s = value as string;
      return s.length > 500 ? `${s.slice(0, 500)}…` : s;
    }
    default:
      return value;
  }
}
