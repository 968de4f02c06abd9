// Ports: `_apply_whitelist_inplace` and the additive masks (`audio_code_mask`, `non_audio_code_mask`) of
// acestep/constrained_logits_processor.py: allowed tokens keep their logits, all others become -Infinity.
// Work is O(allowed) or O(blocked) plus one fill — never a per-step scan of the vocabulary.

/** Half-open id range [from, to). */
export type IdRange = readonly [number, number];

export type Allowed =
  | { kind: "all" }
  | { kind: "forced"; id: number }
  /** Only `ids` ∪ `ranges`. */
  | { kind: "only"; ids: Int32Array; ranges?: readonly IdRange[] }
  /** Everything except `ids` ∪ `ranges`. */
  | { kind: "except"; ids: Int32Array; ranges?: readonly IdRange[] };

/**
 * Apply an `Allowed` to logits in place. `offset`: the logits hold ids [offset, offset + logits.length) only (a
 * window such as the LM's code head, every id outside it already −Infinity); ids and ranges are clipped to it.
 */
export function applyAllowed(logits: Float32Array, a: Allowed, offset = 0): void {
  const n = logits.length;
  const at = (id: number) => (id >= offset && id < offset + n ? id - offset : -1);
  const clip = ([f, t]: IdRange): [number, number] => [Math.max(0, f - offset), Math.min(n, t - offset)];
  switch (a.kind) {
    case "all":
      return;
    case "forced": {
      const i = at(a.id);
      const v = i >= 0 ? logits[i] : -Infinity;
      logits.fill(-Infinity);
      if (i >= 0) logits[i] = v;
      return;
    }
    case "only": {
      const idx = Array.from(a.ids, at).filter((i) => i >= 0);
      const saved = idx.map((i) => logits[i]);
      const ranges = (a.ranges ?? []).map(clip).filter(([f, t]) => t > f);
      const keep = ranges.map(([f, t]) => logits.slice(f, t));
      logits.fill(-Infinity);
      idx.forEach((i, k) => (logits[i] = saved[k]));
      ranges.forEach(([f], k) => logits.set(keep[k], f));
      return;
    }
    case "except": {
      for (const id of a.ids) {
        const i = at(id);
        if (i >= 0) logits[i] = -Infinity;
      }
      for (const r of a.ranges ?? []) {
        const [f, t] = clip(r);
        if (t > f) logits.fill(-Infinity, f, t);
      }
      return;
    }
  }
}

/** Whether `id` is allowed by `a`. */
export function isAllowed(a: Allowed, id: number): boolean {
  const inRanges = (r?: readonly IdRange[]) => !!r && r.some(([f, t]) => id >= f && id < t);
  switch (a.kind) {
    case "all":
      return true;
    case "forced":
      return id === a.id;
    case "only":
      return a.ids.includes(id) || inRanges(a.ranges);
    case "except":
      return !a.ids.includes(id) && !inRanges(a.ranges);
  }
}

const bitmaps = new WeakMap<Int32Array, Uint8Array>();
/** 0/1 membership bitmap of an id list (cached per list). */
function bitmapOf(ids: Int32Array, size: number): Uint8Array {
  let b = bitmaps.get(ids);
  if (!b || b.length < size) {
    b = new Uint8Array(size);
    for (const i of ids) if (i < size) b[i] = 1;
    bitmaps.set(ids, b);
  }
  return b;
}

/** Arg-max of `logits` restricted to `a` (first on ties), or -1. */
export function argmaxAllowed(logits: Float32Array, a: Allowed): number {
  if (a.kind === "forced") return a.id;
  let best = -1;
  let bv = -Infinity;
  if (a.kind === "only") {
    for (const i of a.ids)
      if (logits[i] > bv || (logits[i] === bv && i < best)) {
        bv = logits[i];
        best = i;
      }
    for (const [f, t] of a.ranges ?? [])
      for (let i = f; i < t; i++)
        if (logits[i] > bv) {
          bv = logits[i];
          best = i;
        }
    return best;
  }
  const blocked = a.kind === "except" ? bitmapOf(a.ids, logits.length) : null;
  const ranges = a.kind === "except" ? [...(a.ranges ?? [])].sort((x, y) => x[0] - y[0]) : [];
  let from = 0;
  for (const [f, t] of [...ranges, [logits.length, logits.length] as const]) {
    for (let i = from; i < Math.min(f, logits.length); i++) {
      if (logits[i] > bv && !(blocked && blocked[i])) {
        bv = logits[i];
        best = i;
      }
    }
    from = Math.max(from, t);
  }
  return best;
}
