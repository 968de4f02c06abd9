// Long synchronous computations written as generators that yield between slices of work (a `yield` every few
// milliseconds), run either to completion at once (runSteps) or letting the event loop run at every yield
// (runStepsYielding): the main thread serves HTTP and SSE while a node runs, so a node's own work on it must
// come in short pieces. Both drivers give the same result.
import { setImmediate as yieldToEventLoop } from "node:timers/promises";

/** A computation that yields (nothing) between slices of its work and returns T. */
export type Steps<T> = Generator<void, T, void>;

/** Runs `steps` to completion without yielding. */
export function runSteps<T>(steps: Steps<T>): T {
  for (;;) {
    const r = steps.next();
    if (r.done) return r.value;
  }
}

/** Runs `steps`, letting the event loop run (setImmediate) at each of its yields. */
export async function runStepsYielding<T>(steps: Steps<T>): Promise<T> {
  for (;;) {
    const r = steps.next();
    if (r.done) return r.value;
    await yieldToEventLoop();
  }
}
