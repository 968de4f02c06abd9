// Example inputs for POST /create_random_sample. Upstream answers a random file of examples/simple_mode/ or
// examples/text2music/ (acestep/api_server.py `_load_all_examples`, `create_random_sample_endpoint`); the same
// files in the data folder (examples/simple_mode/example_*.json, examples/text2music/example_*.json) are used
// when present, otherwise this module's own small set in the same shapes.
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";

export type SampleType = "simple_mode" | "custom_mode";

/** The shape of upstream's examples/simple_mode files. */
export interface SimpleExample {
  description: string;
  instrumental: boolean;
  vocal_language: string;
}

/** The shape of upstream's examples/text2music files. */
export interface CustomExample {
  think: boolean;
  caption: string;
  lyrics: string;
  bpm: number;
  duration: number;
  keyscale: string;
  language: string;
  timesignature: string;
}

export const BUILT_IN_SIMPLE: readonly SimpleExample[] = [
  { description: "a slow piano ballad about an old lighthouse keeper", instrumental: false, vocal_language: "en" },
  { description: "upbeat surf rock for a summer road trip", instrumental: true, vocal_language: "unknown" },
  { description: "a sleepy lo-fi beat for studying late at night", instrumental: true, vocal_language: "unknown" },
  { description: "eine fröhliche Polka über einen verlorenen Hut", instrumental: false, vocal_language: "de" },
  { description: "夏祭りの夜を歌う明るいシティポップ", instrumental: false, vocal_language: "ja" },
  { description: "dark synthwave chase music with a pulsing bass", instrumental: true, vocal_language: "unknown" },
];

export const BUILT_IN_CUSTOM: readonly CustomExample[] = [
  {
    think: true,
    caption:
      "A warm acoustic folk song with fingerpicked guitar, soft brushed drums and a gentle female vocal. Harmonica fills between the lines; the mood is nostalgic and calm.",
    lyrics:
      "[Verse 1]\nThe kettle sings at half past six\nThe window fogs, the floorboards creak\n\n[Chorus]\nStay a while, the road can wait\nThe morning light is never late\n\n[Outro]\nStay a while",
    bpm: 92,
    duration: 60,
    keyscale: "G major",
    language: "en",
    timesignature: "4",
  },
  {
    think: true,
    caption:
      "Driving electro-pop with a four-on-the-floor kick, bright plucked synths, a sidechained pad and a confident male vocal; a big chorus with layered harmonies.",
    lyrics:
      "[Verse 1]\nNeon on the water, we don't need a plan\nEvery light is green tonight\n\n[Pre-Chorus]\nHold on, hold on\n\n[Chorus]\nWe are the city when the city sleeps\nRunning on a heartbeat, running on repeat",
    bpm: 124,
    duration: 75,
    keyscale: "A minor",
    language: "en",
    timesignature: "4",
  },
  {
    think: true,
    caption:
      "A cinematic orchestral piece: low strings swell under a solo French horn, timpani rolls build to a full brass climax, then fade to a lone celesta.",
    lyrics: "[Instrumental]",
    bpm: 70,
    duration: 90,
    keyscale: "D minor",
    language: "unknown",
    timesignature: "4",
  },
  {
    think: true,
    caption:
      "Laid-back bossa nova with nylon-string guitar, upright bass, soft shaker and a breathy Portuguese vocal; light and sunny.",
    lyrics: "[Verse 1]\nA tarde cai devagar\nO mar vem me chamar\n\n[Chorus]\nFica comigo, fica\nAté o sol voltar",
    bpm: 132,
    duration: 60,
    keyscale: "F major",
    language: "pt",
    timesignature: "4",
  },
];

/**
 * ace-step/ACE-Step-1.5 docs/en/API.md §7.3 documents the answer with `key_scale`, `time_signature` and `vocal_language`, while the
 * example files (what the server returns) spell them `keyscale`, `timesignature` and `language`; a custom
 * example answers both spellings so clients of either work.
 */
export function withDocumentedNames(example: Record<string, unknown>): Record<string, unknown> {
  const out = { ...example };
  const alias = (from: string, to: string) => {
    if (from in example && !(to in example)) out[to] = example[from];
  };
  alias("keyscale", "key_scale");
  alias("timesignature", "time_signature");
  alias("language", "vocal_language");
  return out;
}

function readExamples(dir: string): Record<string, unknown>[] {
  let names: string[];
  try {
    names = readdirSync(dir).filter((n) => /^example_.*\.json$/.test(n));
  } catch {
    return [];
  }
  const out: Record<string, unknown>[] = [];
  for (const n of names.sort()) {
    try {
      const v: unknown = JSON.parse(readFileSync(join(dir, n), "utf8"));
      if (v && typeof v === "object" && !Array.isArray(v)) out.push(v as Record<string, unknown>);
    } catch {
      /* a broken file is skipped, as upstream skips it */
    }
  }
  return out;
}

/**
 * The examples of one kind: the data folder's example files when there are any (read once per facade, as
 * upstream reads them at start-up), otherwise the built-in set.
 */
export class ExampleStore {
  private cache: Partial<Record<SampleType, readonly Record<string, unknown>[]>> = {};

  constructor(private readonly dataDir: string) {}

  list(type: SampleType): readonly Record<string, unknown>[] {
    const hit = this.cache[type];
    if (hit) return hit;
    const dir = join(this.dataDir, "examples", type === "simple_mode" ? "simple_mode" : "text2music");
    const found = readExamples(dir);
    const list = found.length
      ? found
      : ((type === "simple_mode" ? BUILT_IN_SIMPLE : BUILT_IN_CUSTOM) as unknown as Record<string, unknown>[]);
    const answered = type === "custom_mode" ? list.map(withDocumentedNames) : list;
    this.cache[type] = answered;
    return answered;
  }
}
