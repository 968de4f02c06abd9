// Browser tests (Debian chromium) for state you can trust: results belong to the graph and
// run that made them, undo/redo shows on screen, autosave survives an immediate reload, a
// reload mid-run reattaches to the run, the status bar's queue count follows the run, and a
// refused run says so in the toolbar with the node and field outlined.
import { describe, expect, it } from "vitest";
import type { Page } from "playwright-core";
import {
  addBySearch,
  center,
  dragFrom,
  edgeCount,
  handle,
  node,
  nodeIds,
  openEditor,
  openGraphFile,
  sessionPerFile,
  runStatus,
  shot,
  slowGraph,
  type Session,
} from "./page-helpers";

let s: Session | string | undefined;
let page: Page;
const ready = () => typeof s === "object";

sessionPerFile((x) => {
  s = x;
  if (typeof x === "object") page = x.page;
});

const box = async (id: string) => (await page.locator(node(id)).boundingBox())!;

describe.sequential("editor state integrity", () => {
  it("shows a run's results only with the graph that ran", async (ctx) => {
    if (!ready()) return ctx.skip();
    await openEditor(page, (s as Session).studio.url);
    await openGraphFile(page, "mine.json", slowGraph(3, 50));
    await page.click("[data-testid=run]");
    await page.waitForSelector("[data-testid=run-status][data-status=finished]");
    await page.locator(`${node("out")} [data-testid=audio-player]`).waitFor();
    expect(
      await page.locator(`${node("steps")}[data-status=done], ${node("steps")} [data-status=done]`).count(),
    ).toBeGreaterThan(0);
    // another graph with the same node ids, never run: no badges, no players, no run status
    await openGraphFile(page, "other.json", slowGraph(4, 50));
    await expect.poll(() => page.locator(".react-flow__node [data-status=done]").count()).toBe(0);
    expect(await page.locator("[data-testid=audio-player]").count()).toBe(0);
    expect(await page.locator("[data-testid=node-status]").count()).toBe(0);
    expect(await runStatus(page)).toBeNull();
    await shot(page, "integrity-01-other-graph");
  });

  it("shows undo and redo of a move, an add, a delete and a wire on screen", async (ctx) => {
    if (!ready()) return ctx.skip();
    const before = await box("tone");
    const title = `${node("tone")} .text-neutral-100 >> nth=0`;
    await dragFrom(page, title, { x: (await center(page, title)).x + 150, y: (await center(page, title)).y + 220 });
    await expect.poll(async () => Math.round((await box("tone")).y - before.y)).toBeGreaterThan(150);
    await page.keyboard.press("Control+z");
    await expect.poll(async () => Math.round((await box("tone")).y)).toBe(Math.round(before.y));
    expect(Math.round((await box("tone")).x)).toBe(Math.round(before.x));
    await page.keyboard.press("Control+Shift+z");
    await expect.poll(async () => Math.round((await box("tone")).y - before.y)).toBeGreaterThan(150);
    // the stored graph and the screen agree
    await page.keyboard.press("Control+z");
    // add
    await addBySearch(page, 700, 650, "show number");
    await page.waitForSelector(node("showNumber1"));
    await page.keyboard.press("Control+z");
    await page.waitForSelector(node("showNumber1"), { state: "detached" });
    await page.keyboard.press("Control+Shift+z");
    await page.waitForSelector(node("showNumber1"));
    // wire (tone.audio → a second Save Audio)
    const edges = await edgeCount(page);
    await addBySearch(page, 400, 650, "save audio");
    await page.waitForSelector(node("save1"));
    await dragFrom(page, handle("tone", "audio", "source"), await center(page, handle("save1", "audio", "target")));
    await expect.poll(() => edgeCount(page)).toBe(edges + 1);
    await page.keyboard.press("Control+z");
    await expect.poll(() => edgeCount(page)).toBe(edges);
    await page.keyboard.press("Control+Shift+z");
    await expect.poll(() => edgeCount(page)).toBe(edges + 1);
    // delete
    await page.click(`${node("save1")} .text-neutral-100 >> nth=0`);
    await page.keyboard.press("Delete");
    await page.waitForSelector(node("save1"), { state: "detached" });
    await expect.poll(() => edgeCount(page)).toBe(edges);
    await page.keyboard.press("Control+z");
    await page.waitForSelector(node("save1"));
    await expect.poll(() => edgeCount(page)).toBe(edges + 1);
    await shot(page, "integrity-02-undo");
  });

  it("keeps an edit made just before a reload (autosave on pagehide)", async (ctx) => {
    if (!ready()) return ctx.skip();
    await page.locator(`${node("tone")} input[aria-label=frequency]`).fill("523");
    await page.reload(); // at once: no time for the debounced autosave
    await page.waitForSelector("[data-testid=editor][data-ready=true]");
    await expect.poll(() => page.inputValue(`${node("tone")} input[aria-label=frequency]`)).toBe("523");
    expect((await nodeIds(page)).sort()).toEqual(["out", "save1", "showNumber1", "steps", "tone"]);
  });

  it("reattaches to a running run after a reload: progress, steps and Cancel", async (ctx) => {
    if (!ready()) return ctx.skip();
    await openGraphFile(page, "slow.json", slowGraph(40, 250));
    await page.click("[data-testid=run]");
    await page.locator(`${node("steps")} [data-testid=node-steps]`).waitFor();
    await page.reload();
    await page.waitForSelector("[data-testid=editor][data-ready=true]");
    const steps = page.locator(`${node("steps")} [data-testid=node-steps]`);
    await steps.waitFor({ timeout: 10_000 });
    expect(await steps.textContent()).toMatch(/^step \d+ \/ 40$/);
    expect(await page.isVisible(`${node("steps")} [data-testid=node-progress]`)).toBe(true);
    expect(await runStatus(page)).toBe("running");
    await shot(page, "integrity-03-reattached");
    await page.click("[data-testid=cancel]");
    await page.waitForSelector("[data-testid=run-status][data-status=cancelled]");
  });

  it("shows the queue as empty once the run is over", async (ctx) => {
    if (!ready()) return ctx.skip();
    await openGraphFile(page, "short.json", slowGraph(6, 150));
    await page.click("[data-testid=run]");
    await page.locator("[data-testid=status-bar]", { hasText: "queue 1 running" }).waitFor();
    await page.waitForSelector("[data-testid=run-status][data-status=finished]");
    await page
      .locator("[data-testid=status-bar]", { hasText: "queue 0 running · 0 waiting" })
      .waitFor({ timeout: 4000 });
  });

  it("says in the toolbar that a run was refused and outlines the node and field", async (ctx) => {
    if (!ready()) return ctx.skip();
    const g = slowGraph();
    delete (g.nodes.steps as { inputs?: unknown }).inputs;
    await openGraphFile(page, "broken.json", g);
    await page.click("[data-testid=run]");
    await page.waitForSelector("[data-testid=run-status][data-status=refused]");
    expect(await page.textContent("[data-testid=run-status]")).toMatch(/refused: \d+ problem/);
    expect(await page.getAttribute(`${node("steps")} [data-type]`, "data-invalid")).toBe("true");
    expect(await page.getAttribute(`${node("steps")} [data-field=audio]`, "data-invalid")).toBe("true");
    await shot(page, "integrity-04-refused");
  });

  it("logged no page errors", (ctx) => {
    if (!ready()) return ctx.skip();
    expect((s as Session).errors).toEqual([]);
  });
});
