// The results gallery's cards, derived from a run: one card per saved audio item, with the
// seed the sampler reported for that item and the song facts the run had (an LM's song
// result, else the params the nodes ran with: caption, bpm, key, lyrics), and the audio's own length.
import type { RunView } from "./run-state";

export interface GalleryCard {
  /** Stable key: the audio's path. */
  key: string;
  /** 1-based item number within the run. */
  item: number;
  path: string;
  label?: string;
  nodeId: string;
  seed?: number;
  /** The node whose seed produced this item (for "use this seed"). */
  seedNode?: string;
  seconds?: number;
  caption?: string;
  bpm?: number;
  keyscale?: string;
  /** The lyrics the item was made with (LRC when they carry times). */
  lyrics?: string;
}

const SONG_FIELDS = ["caption", "bpm", "keyscale", "lyrics"] as const;
type SongFacts = Pick<GalleryCard, (typeof SONG_FIELDS)[number]>;

function songFacts(v: RunView): SongFacts {
  const out: SongFacts = {};
  const take = (src: Record<string, unknown>) => {
    for (const f of SONG_FIELDS) {
      const x = src[f];
      if (out[f] !== undefined) continue;
      if (f === "bpm" ? typeof x === "number" && x > 0 : typeof x === "string" && x !== "")
        (out as Record<string, unknown>)[f] = x;
    }
  };
  // What an LM planned wins over what was typed (it is what the DiT was given).
  for (const n of Object.values(v.nodes))
    for (const r of n.results ?? [])
      if (r.kind === "song" && r.value && typeof r.value === "object") take(r.value as Record<string, unknown>);
  for (const n of Object.values(v.nodes)) if (n.params) take(n.params);
  return out;
}

export function galleryCards(v: RunView | null): GalleryCard[] {
  if (!v) return [];
  let seeds: number[] | undefined;
  let seedNode: string | undefined;
  for (const [id, n] of Object.entries(v.nodes))
    for (const r of n.results ?? [])
      if (r.kind === "value" && r.label === "seeds" && Array.isArray(r.value) && !seeds) {
        seeds = r.value.filter((x): x is number => typeof x === "number");
        seedNode = id;
      }
  const facts = songFacts(v);
  const cards: GalleryCard[] = [];
  for (const [nodeId, n] of Object.entries(v.nodes))
    for (const r of n.results ?? []) {
      if (r.kind !== "audio" || !r.path) continue;
      const i = cards.length;
      const seconds = typeof r.meta?.seconds === "number" ? r.meta.seconds : undefined;
      cards.push({
        key: r.path,
        item: i + 1,
        path: r.path,
        label: r.label,
        nodeId,
        seed: seeds?.[i],
        seedNode: seeds?.[i] !== undefined ? seedNode : undefined,
        seconds,
        ...facts,
      });
    }
  return cards;
}
