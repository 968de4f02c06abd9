// Browser tests (Debian chromium): a first visit opens text2music, and every example opens
// with no two nodes overlapping (node boxes measured on screen, without pressing Arrange).
import { describe, expect, it } from "vitest";
import type { Page } from "playwright-core";
import { openEditor, overlaps, sessionPerFile, shot, type Session } from "./page-helpers";

let s: Session | string | undefined;
let page: Page;

sessionPerFile((x) => {
  s = x;
  if (typeof x === "object") page = x.page;
});

describe.sequential("examples open clean", () => {
  it("opens text2music on a first visit, untangled and unmodified", async (ctx) => {
    if (typeof s !== "object") return ctx.skip();
    await openEditor(page, s.studio.url);
    await page.waitForSelector('.react-flow__node[data-id="sampler"]');
    expect(await page.textContent("[data-testid=doc-name]")).toBe("Text to music");
    await expect.poll(() => overlaps(page), { timeout: 20_000 }).toEqual([]);
    expect(await page.isVisible("[data-testid=dirty]")).toBe(false);
    await shot(page, "layout-01-first-visit");
  });

  it("opens every example without overlapping nodes", async (ctx) => {
    if (typeof s !== "object") return ctx.skip();
    const ids = await page.evaluate(async () => {
      const r = await fetch("/api/trpc/graphs.examples");
      return ((await r.json()) as { result: { data: Array<{ id: string }> } }).result.data.map((e) => e.id);
    });
    expect(ids.length).toBeGreaterThan(5);
    for (const id of ids) {
      await page.click("[data-testid=menu-examples]");
      await page.click(`[data-testid="example-${id}"]`);
      await page.locator("[data-testid=toast]").last().waitFor();
      await page.waitForSelector(".react-flow__node");
      await expect.poll(() => overlaps(page), { timeout: 20_000, message: `example ${id}` }).toEqual([]);
      expect(await page.isVisible("[data-testid=dirty]"), `example ${id} opens unmodified`).toBe(false);
      await shot(page, `layout-02-${id}`);
    }
  });

  it("logged no page errors", (ctx) => {
    if (typeof s !== "object") return ctx.skip();
    expect(s.errors).toEqual([]);
  });
});
