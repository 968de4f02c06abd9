// POST /format_input and POST /create_random_sample (acestep/api_server.py `format_input_endpoint`,
// `create_random_sample_endpoint`; ace-step/ACE-Step-1.5 docs/en/API.md): the LM's format_sample behind upstream's fields,
// and a random example input. Both answer the `{data, code, error, timestamp, extra}` envelope; a failed
// format comes back as HTTP 200 with `code: 500`, as upstream.
import type { IncomingMessage, ServerResponse } from "node:http";
import type { AppContext } from "../../app-context";
import { formatSample } from "../library";
import { readAuthenticated } from "./auth";
import { sendEnvelope } from "./envelope";
import type { ExampleStore, SampleType } from "./examples";

/** Upstream `_to_float`: a number, or `fallback` for null, "" and anything unparsable. */
export function looseFloat(v: unknown, fallback: number | null = null): number | null {
  if (v === null || v === undefined) return fallback;
  if (typeof v === "number") return Number.isFinite(v) ? v : fallback;
  const s = String(v).trim();
  if (s === "") return fallback;
  const n = Number(s);
  return Number.isFinite(n) ? n : fallback;
}

/** Upstream `_to_int`: an integer, or `fallback` (Python's int("3.5") fails, so "3.5" gives the fallback). */
export function looseInt(v: unknown, fallback: number | null = null): number | null {
  if (v === null || v === undefined) return fallback;
  if (typeof v === "number") return Number.isInteger(v) ? v : fallback;
  const s = String(v).trim();
  return /^[+-]?\d+$/.test(s) ? Number(s) : fallback;
}

function paramObject(v: unknown): Record<string, unknown> {
  if (v && typeof v === "object" && !Array.isArray(v)) return v as Record<string, unknown>;
  if (typeof v !== "string" || v.trim() === "") return {};
  try {
    const x: unknown = JSON.parse(v);
    return x && typeof x === "object" && !Array.isArray(x) ? (x as Record<string, unknown>) : {};
  } catch {
    return {}; // upstream: json.JSONDecodeError → {}
  }
}

const str = (v: unknown): string => (typeof v === "string" ? v : typeof v === "number" ? String(v) : "");

/** The data of a /format_input answer (upstream's field names). */
export interface FormatInputData {
  caption: string;
  lyrics: string;
  bpm: number | null;
  key_scale: string;
  time_signature: string;
  duration: number | null;
  vocal_language: string;
}

export async function formatInput(app: AppContext, req: IncomingMessage, res: ServerResponse, url: URL): Promise<void> {
  const body = (await readAuthenticated(app, req, url, 1024 * 1024)).fields;
  const prompt = str(body.prompt);
  const lyrics = str(body.lyrics);
  const temperature = looseFloat(body.temperature, 0.85) as number;
  const po = paramObject(body.param_obj);
  const duration = looseFloat(po.duration);
  const bpm = looseInt(po.bpm);
  const keyScale = str(po.key) || str(po.key_scale);
  const timeSignature = str(po.time_signature) || str(body.time_signature);
  const language = str(po.language);
  const userMetadata: {
    bpm?: number;
    duration?: number;
    keyscale?: string;
    timesignature?: string;
    language?: string;
  } = {};
  if (bpm !== null) userMetadata.bpm = bpm;
  if (duration !== null && duration > 0) userMetadata.duration = Math.trunc(duration);
  if (keyScale) userMetadata.keyscale = keyScale;
  if (timeSignature) userMetadata.timesignature = timeSignature;
  if (language && language !== "unknown") userMetadata.language = language;
  const r = await formatSample(prompt, lyrics, {
    app,
    temperature,
    useConstrainedDecoding: true,
    userMetadata: Object.keys(userMetadata).length ? userMetadata : null,
  });
  if (!r.success) return sendEnvelope(res, null, 500, `format_sample failed: ${r.error ?? r.statusMessage}`);
  const data: FormatInputData = {
    caption: r.caption || prompt,
    lyrics: r.lyrics || lyrics,
    bpm: r.bpm || bpm,
    key_scale: r.keyscale || keyScale,
    time_signature: r.timesignature || timeSignature,
    duration: r.duration || duration,
    vocal_language: r.language || language || "unknown",
  };
  sendEnvelope(res, data);
}

export async function createRandomSample(
  app: AppContext,
  examples: ExampleStore,
  req: IncomingMessage,
  res: ServerResponse,
  url: URL,
  random: () => number = Math.random,
): Promise<void> {
  const body = (await readAuthenticated(app, req, url, 64 * 1024)).fields;
  const type: SampleType = (str(body.sample_type) || "simple_mode") === "simple_mode" ? "simple_mode" : "custom_mode";
  const list = examples.list(type);
  if (!list.length) return sendEnvelope(res, null, 500, "No example data available");
  sendEnvelope(res, list[Math.min(list.length - 1, Math.floor(random() * list.length))]);
}
