// The main event loop's longest gap while some work runs: a 5 ms interval timer's largest spacing, counted from
// the moment of start (perf_hooks.monitorEventLoopDelay drops the stretch before its first sample: a block right
// after enable() reads as a few ms).
export interface LoopGapWatch {
  /** Stops the timer; the largest spacing in ms (the block that runs up to stop() included) and the ticks seen. */
  stop(): { maxMs: number; ticks: number };
}

export function watchLoopGaps(intervalMs = 5): LoopGapWatch {
  let last = performance.now();
  let maxMs = 0;
  let ticks = 0;
  const note = () => {
    const t = performance.now();
    maxMs = Math.max(maxMs, t - last);
    last = t;
  };
  const timer = setInterval(() => {
    ticks++;
    note();
  }, intervalMs);
  return {
    stop() {
      clearInterval(timer);
      note();
      return { maxMs, ticks };
    },
  };
}
