// Main-thread side of the LM worker (lm-worker.ts): one worker thread per process, spawned on first use,
// request/reply by id, progress events per pass, cancellation by message. The worker holds the event loop
// only while a request is pending; a crash rejects what is pending and the next request starts a fresh one.
import { existsSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { Worker } from "node:worker_threads";
import type { LmWorkerMessage, LmWorkerRequest } from "./lm-worker-protocol";

interface Pending {
  resolve: (v: unknown) => void;
  reject: (e: Error) => void;
  onProgress?: (step: number) => void;
}

let worker: Worker | null = null;
let nextId = 1;
const pending = new Map<number, Pending>();
const crashListeners = new Set<() => void>();

function refresh(): void {
  if (!worker) return;
  if (pending.size > 0) worker.ref();
  else worker.unref();
}

/** From source: the TypeScript worker through tsx (lm-worker-boot.mjs); in the built package: dist/lm-worker.js. */
function workerUrl(): URL {
  const source = new URL("./lm-worker.ts", import.meta.url);
  return existsSync(fileURLToPath(source))
    ? new URL("./lm-worker-boot.mjs", import.meta.url)
    : new URL("./lm-worker.js", import.meta.url);
}

function start(): Worker {
  const w = new Worker(workerUrl());
  w.on("message", (m: LmWorkerMessage) => {
    const p = pending.get(m.id);
    if (!p) return;
    if (m.kind === "progress") {
      p.onProgress?.(m.step);
      return;
    }
    pending.delete(m.id);
    refresh();
    if (m.kind === "ok") p.resolve(m.value);
    else p.reject(Object.assign(new Error(m.message), { name: m.name }));
  });
  const fail = (e: Error) => {
    if (worker !== w) return;
    worker = null;
    const all = [...pending.values()];
    pending.clear();
    for (const p of all) p.reject(e);
    for (const l of crashListeners) l();
  };
  w.on("error", (e) => fail(new Error(`lm worker crashed: ${e.message}`)));
  w.on("exit", (code) => fail(new Error(`lm worker exited (code ${code})`)));
  return w;
}

/** Send one request; `onProgress` receives the pass's progress events. Returns the request id via `onId`. */
export function lmWorkerCall<T>(
  request: LmWorkerRequest,
  o: { onProgress?: (step: number) => void; onId?: (id: number) => void } = {},
): Promise<T> {
  worker ??= start();
  const id = nextId++;
  o.onId?.(id);
  const w = worker;
  const p = new Promise<T>((resolve, reject) => {
    pending.set(id, { resolve: resolve as (v: unknown) => void, reject, onProgress: o.onProgress });
  });
  refresh();
  w.postMessage({ id, request });
  return p;
}

/** Ask the worker to stop pass `target` at its next token (the pass then rejects with an AbortError). */
export function lmWorkerCancel(target: number): void {
  if (worker && pending.has(target)) worker.postMessage({ id: nextId++, request: { op: "cancel", target } });
}

/** Called when the worker dies (its models are gone; callers must reopen). */
export function onLmWorkerExit(listener: () => void): () => void {
  crashListeners.add(listener);
  return () => crashListeners.delete(listener);
}

/** Release every model and stop the worker (tests, shutdown). */
export async function stopLmWorker(): Promise<void> {
  const w = worker;
  if (!w) return;
  try {
    await lmWorkerCall({ op: "release" });
  } finally {
    worker = null;
    await w.terminate();
  }
}
