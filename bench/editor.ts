// Editor benchmark: time to interactive of the editor page, and frame times while dragging
// nodes of a 100-node graph (one node, then all 100 selected), sampled with
// requestAnimationFrame in the page while Playwright drives the mouse. A Chrome trace of the
// all-nodes drag is written to test-output/bench/editor-drag-trace.json.
// Run: npx tsx bench/editor.ts   (builds the editor first when its sources changed)
import { mkdirSync } from "node:fs";
import { join } from "node:path";
import type { Page } from "playwright-core";
import { ensureBuild, launchBrowser, ROOT, startStudio } from "../test/e2e/harness";
import { AUTOSAVE_KEY } from "../app/graph-model/autosave";

const OUT = join(ROOT, "test-output", "bench");

/** 100 nodes: 34 Test Tone → Audio Info → Show Number chains (minus two), on a grid. */
function bigGraph() {
  const nodes: Record<string, unknown> = {};
  let n = 0;
  for (let i = 0; n < 100; i++) {
    const y = (i % 12) * 420;
    const x = Math.floor(i / 12) * 1000;
    nodes[`t${i}`] = { type: "audio.testTone", params: { seconds: 1 }, ui: { x, y } };
    if (++n >= 100) break;
    nodes[`i${i}`] = {
      type: "audio.info",
      inputs: { audio: { node: `t${i}`, output: "audio" } },
      ui: { x: x + 320, y },
    };
    if (++n >= 100) break;
    nodes[`s${i}`] = {
      type: "core.showNumber",
      inputs: { value: { node: `i${i}`, output: "peak" } },
      ui: { x: x + 640, y },
    };
    n++;
  }
  return { version: 1, meta: { name: "bench 100" }, nodes };
}

const stats = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  const q = (p: number) => s[Math.min(s.length - 1, Math.floor(p * s.length))] ?? NaN;
  return {
    n: s.length,
    mean: s.reduce((a, b) => a + b, 0) / Math.max(1, s.length),
    p50: q(0.5),
    p95: q(0.95),
    max: s[s.length - 1] ?? NaN,
  };
};
const f = (x: number) => x.toFixed(1);

async function sampleFrames(page: Page, drive: () => Promise<void>) {
  // A string, not a function: tsx would wrap the inner named callback in a helper the page lacks.
  await page.evaluate(`(() => {
    const w = window;
    w.__frames = [];
    w.__long = [];
    w.__stop = false;
    new PerformanceObserver((l) => l.getEntries().forEach((e) => w.__long.push(e.duration))).observe({ type: "longtask" });
    let last = performance.now();
    const tick = (t) => {
      w.__frames.push(t - last);
      last = t;
      if (!w.__stop) requestAnimationFrame(tick);
    };
    requestAnimationFrame(tick);
  })()`);
  const t0 = Date.now();
  await drive();
  const ms = Date.now() - t0;
  const r = await page.evaluate(() => {
    const w = window as unknown as { __frames: number[]; __long: number[]; __stop: boolean };
    w.__stop = true;
    return { frames: w.__frames.slice(1), long: w.__long };
  });
  return { ...r, ms };
}

async function drag(page: Page, from: { x: number; y: number }, dx: number, dy: number, steps: number) {
  await page.mouse.move(from.x, from.y);
  await page.mouse.down();
  await page.mouse.move(from.x + dx, from.y + dy, { steps });
  await page.mouse.up();
}

async function main() {
  ensureBuild();
  const browser = await launchBrowser();
  if (typeof browser === "string") throw new Error(browser);
  const studio = await startStudio();
  mkdirSync(OUT, { recursive: true });
  try {
    // ---- time to interactive: navigation start → palette loaded and the canvas accepting input
    const tti: number[] = [];
    const dcl: number[] = [];
    let cold = NaN;
    for (let i = 0; i < 6; i++) {
      const ctx = await browser.newContext({ viewport: { width: 1400, height: 900 } });
      const page = await ctx.newPage();
      await page.goto(studio.url, { waitUntil: "commit" });
      await page.waitForSelector("[data-testid=editor][data-ready=true]");
      const t = await page.evaluate(() => ({
        now: performance.now(),
        dcl: (performance.getEntriesByType("navigation")[0] as PerformanceNavigationTiming).domContentLoadedEventEnd,
      }));
      if (i > 0) {
        tti.push(t.now);
        dcl.push(t.dcl);
      } else cold = t.now; // the first load warms the server (system.info's first answer takes seconds)
      await ctx.close();
    }
    const T = stats(tti);
    const D = stats(dcl);
    console.log(
      `editor time to interactive (palette loaded, ${T.n} warm loads): median ${f(T.p50)} ms, max ${f(T.max)} ms; DOMContentLoaded median ${f(D.p50)} ms; first (cold server) load ${f(cold)} ms`,
    );

    // ---- 100-node graph
    const ctx = await browser.newContext({ viewport: { width: 1400, height: 900 } });
    await ctx.addInitScript(
      ([k, g]) =>
        localStorage.setItem(k as string, JSON.stringify({ graph: g, doc: { name: "bench 100", savedJson: "" } })),
      [AUTOSAVE_KEY, bigGraph()] as const,
    );
    const page = await ctx.newPage();
    const t0 = Date.now();
    await page.goto(studio.url);
    await page.waitForSelector("[data-testid=editor][data-ready=true]");
    await page.waitForFunction(() => document.querySelectorAll(".react-flow__node").length === 100);
    await page.waitForFunction(() =>
      [...document.querySelectorAll(".react-flow__node")].every(
        (n) => (n as HTMLElement).style.visibility !== "hidden",
      ),
    );
    console.log(`100-node graph: rendered and measured ${Date.now() - t0} ms after navigation`);
    await page.waitForTimeout(500);

    const header = async (id: string) => {
      const b = await page.locator(`.react-flow__node[data-id="${id}"] .text-neutral-100 >> nth=0`).boundingBox();
      if (!b) throw new Error(`node ${id} not visible`);
      return { x: b.x + b.width / 2, y: b.y + b.height / 2 };
    };
    const report = (label: string, r: { frames: number[]; long: number[]; ms: number }, moves: number) => {
      const s = stats(r.frames);
      const slow = r.frames.filter((x) => x > 1000 / 60 + 1).length;
      console.log(
        `${label}: ${moves} pointer moves in ${r.ms} ms (${f(r.ms / moves)} ms per move); frames ${s.n}: mean ${f(s.mean)} ms, p50 ${f(s.p50)}, p95 ${f(s.p95)}, max ${f(s.max)}; ` +
          `${slow} frames over 17.7 ms; long tasks ${r.long.length}${r.long.length ? ` (max ${f(Math.max(...r.long))} ms)` : ""}`,
      );
    };

    const one = await sampleFrames(page, async () => drag(page, await header("i1"), 240, 120, 120));
    report("drag 1 node of 100", one, 120);

    await page.keyboard.press("Control+a");
    await page.waitForTimeout(200);
    await browser.startTracing(page, {
      path: join(OUT, "editor-drag-trace.json"),
      categories: ["devtools.timeline", "blink.user_timing"],
    });
    const all = await sampleFrames(page, async () => drag(page, await header("i2"), 200, 100, 120));
    await browser.stopTracing();
    report("drag all 100 nodes", all, 120);
    await ctx.close();
  } finally {
    await browser.close();
    await studio.close();
  }
}

await main();
