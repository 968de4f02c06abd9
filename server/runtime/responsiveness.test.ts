// The point of the worker: a long session.run (~1 s of MatMuls on one thread) must not stall the
// main event loop. A 10 ms setInterval keeps firing while the run is in flight.
import { afterAll, expect, it } from "vitest";
import { createSessionHost } from "./session-host";
import { matmulChainModel } from "./test-models";

const host = createSessionHost({ threads: 1, logger: () => {} });
afterAll(() => host.close());

it("keeps the event loop responsive while a long run executes in the worker", async () => {
  const size = 1024;
  await host.load("chain", matmulChainModel(size, 50)); // ≈ 107 GFLOP, about 1–1.5 s on one core
  const x = new Float32Array(size * size).fill(0.01);

  const gaps: number[] = [];
  let last = performance.now();
  const timer = setInterval(() => {
    const now = performance.now();
    gaps.push(now - last);
    last = now;
  }, 10);
  const t0 = performance.now();
  const out = await host.run("chain", { x: { type: "float32", dims: [size, size], data: x } });
  const runMs = performance.now() - t0;
  clearInterval(timer);

  expect(out.y.dims).toEqual([size, size]);
  const maxGap = Math.max(...gaps);
  console.info(`[responsiveness] run ${runMs.toFixed(0)} ms, ${gaps.length} ticks, max gap ${maxGap.toFixed(1)} ms`);
  // No bound on times (the machine may be loaded): the loop must keep ticking during the run. A run on
  // the main thread that blocked it from start to end would let no tick through.
  expect(gaps.length).toBeGreaterThanOrEqual(5);
});
