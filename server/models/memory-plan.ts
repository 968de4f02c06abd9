// The memory plan that follows the graph: before each node the engine says which model sessions that node runs
// and which the nodes after it run (server/engine/stages.ts); this decides which loaded sessions to release.
// - A stage whose own sessions exceed the budget is refused before anything loads (MemoryBudgetError).
// - Offload tiers (server/models/tiers.ts, budgets below the 16 GB class) release every session the rest of the
//   run does not need (the LM after its codes, the text encoder after conditioning, the DiT after sampling).
// - Otherwise sessions stay warm and are released only when the stage would not fit: first those the rest of the
//   run does not need (least recently used first), then those needed again (the one needed last goes first).
// Busy sessions (a run in flight) are never released. Pure functions here; ModelManager.prepareStage applies them.

export interface SessionKey {
  /** Model (manifest entry) name. */
  model: string;
  /** Role of the model's file ("dit_step", "lm", …). */
  role: string;
}

export interface LoadedSessionInfo {
  /** Registry id: "<model>/<role>" or "<model>/<role>#<variant>" (a derived graph, e.g. LoRA). */
  id: string;
  sizeBytes: number;
  lastUsed: number;
  busy: number;
}

export class MemoryBudgetError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "MemoryBudgetError";
  }
}

/** The model and role of a registry id. */
export function sessionKeyOf(id: string): SessionKey {
  const slash = id.indexOf("/");
  if (slash < 0) return { model: id, role: "" };
  return { model: id.slice(0, slash), role: id.slice(slash + 1).split("#")[0] };
}

const same = (a: SessionKey, b: SessionKey) => a.model === b.model && a.role === b.role;

export interface ReleaseInput {
  budgetBytes: number;
  usedBytes: number;
  loaded: readonly LoadedSessionInfo[];
  /** Sessions of the stage about to run, with the bytes each holds once loaded. */
  now: ReadonlyArray<SessionKey & { bytes: number }>;
  /** Sessions of each later stage, in execution order. */
  later: ReadonlyArray<readonly SessionKey[]>;
  /** Release what the rest of the run does not need even when it fits (offload tiers). */
  offload: boolean;
  /** A later stage uses a model not known yet: release nothing proactively. */
  laterUnknown?: boolean;
}

export interface ReleaseDecision {
  /** Registry ids to unload, in order, each with why. */
  release: Array<{ id: string; why: "not needed by the rest of the run" | "to fit the stage" }>;
  /** Bytes in use after the releases and the stage's loads. */
  projectedBytes: number;
}

/** Which loaded sessions to release before a stage. */
export function planRelease(input: ReleaseInput): ReleaseDecision {
  const { budgetBytes, loaded, now, later } = input;
  const isNow = (s: LoadedSessionInfo) => now.some((k) => same(k, sessionKeyOf(s.id)));
  const nextUse = (s: LoadedSessionInfo) => {
    const k = sessionKeyOf(s.id);
    const i = later.findIndex((stage) => stage.some((x) => same(x, k)));
    return i < 0 ? Number.POSITIVE_INFINITY : i;
  };
  const missing = now.filter((k) => !loaded.some((s) => same(k, sessionKeyOf(s.id)))).reduce((a, k) => a + k.bytes, 0);
  let used = input.usedBytes;
  const release: ReleaseDecision["release"] = [];
  const free = (s: LoadedSessionInfo, why: ReleaseDecision["release"][number]["why"]) => {
    release.push({ id: s.id, why });
    used -= s.sizeBytes;
  };
  const candidates = loaded.filter((s) => s.busy === 0 && !isNow(s));
  const unneeded = candidates.filter((s) => nextUse(s) === Number.POSITIVE_INFINITY);
  if (input.offload && !input.laterUnknown) for (const s of unneeded) free(s, "not needed by the rest of the run");
  const byPreference = [
    ...unneeded.sort((a, b) => a.lastUsed - b.lastUsed),
    ...candidates.filter((s) => nextUse(s) !== Number.POSITIVE_INFINITY).sort((a, b) => nextUse(b) - nextUse(a)),
  ];
  for (const s of byPreference) {
    if (used + missing <= budgetBytes) break;
    if (!release.some((r) => r.id === s.id)) free(s, "to fit the stage");
  }
  return { release, projectedBytes: used + missing };
}

const gb = (b: number) => `${(b / 1e9).toFixed(2)} GB`;

/**
 * Bytes a stage holds at its peak: every session at once, or — when its roles run in phases and earlier phases
 * are released first (offload tiers) — the roles outside the phases plus the largest phase.
 */
export function peakBytes(
  sessions: ReadonlyArray<SessionKey & { bytes: number }>,
  phases: readonly (readonly string[])[] | undefined,
  offload: boolean,
): number {
  const sum = (xs: ReadonlyArray<{ bytes: number }>) => xs.reduce((a, s) => a + s.bytes, 0);
  if (!offload || !phases?.length) return sum(sessions);
  const outside = sessions.filter((s) => !phases.some((p) => p.includes(s.role)));
  return sum(outside) + Math.max(0, ...phases.map((p) => sum(sessions.filter((s) => p.includes(s.role)))));
}

/** The refusal of a stage whose own sessions do not fit in the budget, or null when they do. */
export function stageRefusal(
  stage: {
    nodeId: string;
    nodeType: string;
    sessions: ReadonlyArray<SessionKey & { bytes: number }>;
    phases?: readonly (readonly string[])[];
  },
  budgetBytes: number,
  offload = false,
): string | null {
  const total = peakBytes(stage.sessions, stage.phases, offload);
  if (total <= budgetBytes) return null;
  const list = stage.sessions.map((s) => `${s.model}/${s.role} ${gb(s.bytes)}`).join(", ");
  return (
    `node "${stage.nodeId}" (${stage.nodeType}) needs ${gb(total)} of model sessions (${list}) but the memory ` +
    `budget is ${gb(budgetBytes)}: raise ACESTEP_MEMORY_BUDGET or use smaller (lower-precision) models; refused before loading it`
  );
}

export interface BatchFitInput {
  nodeId: string;
  nodeType: string;
  batch: number;
  /** The tier's limit for this run (upstream's max_batch_size_with_lm / _without_lm). */
  tierMax: number;
  tierName: string;
  withLm: boolean;
  budgetBytes: number;
  /** Bytes of the sessions the node runs. */
  sessionBytes: number;
  /** Bytes one batch item adds while the node runs (activations, per-item tensors). */
  itemBytes: number;
}

/**
 * The batch a node can run: upstream clamps the batch to the tier's limit with a warning (acestep/inference.py
 * generate_music, check_batch_size_limit in acestep/gpu_config.py); here the batch is also reduced until the
 * node's sessions plus its per-item bytes fit the budget, with a message; when not even one item fits the node is
 * refused (MemoryBudgetError).
 */
export function fitBatch(o: BatchFitInput): { batch: number; message?: string } {
  const messages: string[] = [];
  let batch = o.batch;
  if (batch > o.tierMax) {
    messages.push(
      `batch size ${batch} exceeds the limit of memory ${o.tierName}: at most ${o.tierMax} ${o.withLm ? "with" : "without"} the LM`,
    );
    batch = o.tierMax;
  }
  const fits = (b: number) => o.sessionBytes + b * o.itemBytes <= o.budgetBytes;
  if (!fits(1))
    throw new MemoryBudgetError(
      `node "${o.nodeId}" (${o.nodeType}) needs ${gb(o.sessionBytes)} of model sessions and ${gb(o.itemBytes)} per ` +
        `batch item, more than the memory budget of ${gb(o.budgetBytes)} even for one item: raise ` +
        `ACESTEP_MEMORY_BUDGET, shorten the song or use smaller (lower-precision) models`,
    );
  if (!fits(batch)) {
    const max = Math.max(1, Math.floor((o.budgetBytes - o.sessionBytes) / o.itemBytes));
    messages.push(
      `batch size ${batch} does not fit the memory budget of ${gb(o.budgetBytes)} (${gb(o.sessionBytes)} of model ` +
        `sessions + ${gb(o.itemBytes)} per item): at most ${max}`,
    );
    batch = Math.min(batch, max);
  }
  return messages.length ? { batch, message: `${messages.join("; ")}; reduced to ${batch}` } : { batch };
}

/** Auto decode tiles are a multiple of this many latent frames. */
export const DECODE_TILE_STEP = 16;

export interface DecodeTileFitInput {
  nodeId: string;
  nodeType: string;
  /** Latent frames to decode. */
  frames: number;
  /** Batch items decoded together in every tile. */
  batch: number;
  /** Frames discarded at each inner tile edge. */
  overlap: number;
  budgetBytes: number;
  /** Bytes that stay resident while the decode runs: the node's own sessions and what cannot be released now. */
  residentBytes: number;
  /** Bytes one latent frame of one batch item adds while the decoder runs (decodeBytesPerFrame). */
  frameBytes: number;
}

/**
 * The decode tile length from the memory budget (the role of upstream's `_get_auto_decode_chunk_size`,
 * ace-step/ACE-Step-1.5 acestep/handler.py, which picks it from free VRAM): the whole latent in one tile when it fits
 * next to the resident bytes (no overlap is decoded twice), else the longest multiple of DECODE_TILE_STEP frames
 * that fits, with a message; refused (MemoryBudgetError) when not even the shortest tile (2 × overlap + 16) fits.
 */
export function fitDecodeTile(o: DecodeTileFitInput): { chunk: number; tiles: number; message?: string } {
  const perFrame = Math.max(1, o.batch) * o.frameBytes;
  const room = o.budgetBytes - o.residentBytes;
  if (o.frames * perFrame <= room) return { chunk: Math.max(1, o.frames), tiles: 1 };
  const step = DECODE_TILE_STEP;
  const shortest = Math.ceil((2 * o.overlap + step) / step) * step;
  const longest = room > 0 ? Math.floor(room / perFrame / step) * step : 0;
  const items = o.batch > 1 ? ` × ${o.batch} items` : "";
  if (longest < shortest)
    throw new MemoryBudgetError(
      `node "${o.nodeId}" (${o.nodeType}) needs ${gb(o.residentBytes)} of resident model sessions and ` +
        `${gb(perFrame)} per latent frame${items}: not even the shortest tile (${shortest} frames with an overlap ` +
        `of ${o.overlap}) fits the memory budget of ${gb(o.budgetBytes)}: raise ACESTEP_MEMORY_BUDGET, lower ` +
        `overlapFrames or the batch size, or use smaller (lower-precision) models`,
    );
  const tiles = Math.ceil(o.frames / (longest - 2 * o.overlap));
  return {
    chunk: longest,
    tiles,
    message:
      `decoding ${o.frames} frames${items} in one tile needs ${gb(o.frames * perFrame)} next to ` +
      `${gb(o.residentBytes)} of resident model sessions, over the memory budget of ${gb(o.budgetBytes)}: ` +
      `decoding in ${tiles} tiles of ${longest} frames`,
  };
}
