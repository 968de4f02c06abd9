// Undo/redo history over immutable values. Edits with the same coalescing key in quick
// succession (typing in a field) make one step; transient edits (a drag in progress)
// change the present without a step until they settle.

export interface History<T> {
  past: T[];
  present: T;
  future: T[];
  /** Key and time of the last committed edit, for coalescing. */
  lastKey?: string;
  lastAt?: number;
  /** The value before a transient edit began; becomes one undo step when it settles. */
  base?: T;
}

export const HISTORY_LIMIT = 200;
export const COALESCE_MS = 1500;

export function createHistory<T>(present: T): History<T> {
  return { past: [], present, future: [] };
}

export interface CommitOptions {
  /** Edits sharing a key within COALESCE_MS of each other become one undo step. */
  key?: string;
  now?: number;
  /** A transient edit (e.g. mid-drag): no undo step until settle(). */
  transient?: boolean;
}

export function commit<T>(h: History<T>, next: T, o: CommitOptions = {}): History<T> {
  if (next === h.present) return h;
  if (o.transient) return { ...h, base: h.base ?? h.present, present: next, future: [] };
  const now = o.now ?? Date.now();
  const settled = settle(h);
  if (
    o.key !== undefined &&
    o.key === settled.lastKey &&
    settled.lastAt !== undefined &&
    now - settled.lastAt < COALESCE_MS &&
    settled.past.length > 0
  )
    return { ...settled, present: next, future: [], lastAt: now };
  return {
    past: [...settled.past, settled.present].slice(-HISTORY_LIMIT),
    present: next,
    future: [],
    lastKey: o.key,
    lastAt: now,
  };
}

/** Ends a transient edit: the value before it becomes one undo step. */
export function settle<T>(h: History<T>): History<T> {
  if (h.base === undefined) return h;
  if (h.base === h.present) return { ...h, base: undefined };
  return {
    past: [...h.past, h.base].slice(-HISTORY_LIMIT),
    present: h.present,
    future: [],
    lastKey: undefined,
    lastAt: undefined,
  };
}

export function undo<T>(h0: History<T>): History<T> {
  const h = settle(h0);
  if (h.past.length === 0) return h;
  return { past: h.past.slice(0, -1), present: h.past[h.past.length - 1], future: [h.present, ...h.future] };
}

export function redo<T>(h0: History<T>): History<T> {
  const h = settle(h0);
  if (h.future.length === 0) return h;
  return { past: [...h.past, h.present], present: h.future[0], future: h.future.slice(1) };
}

export const canUndo = <T>(h: History<T>) => h.past.length > 0 || (h.base !== undefined && h.base !== h.present);
export const canRedo = <T>(h: History<T>) => h.future.length > 0;
