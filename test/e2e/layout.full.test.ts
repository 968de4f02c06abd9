// Browser tests (Debian chromium): a first visit opens text2music, and every example opens
// with no two nodes overlapping (node boxes measured on screen, without pressing Arrange).
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Page } from "playwright-core";
import { closeSession, openEditor, openSession, shot, type Session } from "./page-helpers";

let s: Session | string | undefined;
let page: Page;

beforeAll(async () => {
  s = await openSession();
  if (typeof s === "string") console.warn(`browser tests skipped: ${s}`);
  else page = s.page;
}, 600_000);
afterAll(() => closeSession(s));

/** Pairs of node ids whose on-screen boxes overlap. */
const overlaps = () =>
  page.$$eval(".react-flow__node", (els) => {
    const r = els.map((e) => [e.getAttribute("data-id"), e.getBoundingClientRect()] as const);
    const out: string[] = [];
    for (let i = 0; i < r.length; i++)
      for (let j = i + 1; j < r.length; j++) {
        const [a, A] = r[i];
        const [b, B] = r[j];
        if (A.left < B.right - 1 && B.left < A.right - 1 && A.top < B.bottom - 1 && B.top < A.bottom - 1)
          out.push(`${a}/${b}`);
      }
    return out;
  });

describe.sequential("examples open clean", () => {
  it("opens text2music on a first visit, untangled and unmodified", async (ctx) => {
    if (typeof s !== "object") return ctx.skip();
    await openEditor(page, s.studio.url);
    await page.waitForSelector('.react-flow__node[data-id="sampler"]');
    expect(await page.textContent("[data-testid=doc-name]")).toBe("Text to music");
    await expect.poll(overlaps, { timeout: 20_000 }).toEqual([]);
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
      await expect.poll(overlaps, { timeout: 20_000, message: `example ${id}` }).toEqual([]);
      expect(await page.isVisible("[data-testid=dirty]"), `example ${id} opens unmodified`).toBe(false);
      await shot(page, `layout-02-${id}`);
    }
  });

  it("logged no page errors", (ctx) => {
    if (typeof s !== "object") return ctx.skip();
    expect(s.errors).toEqual([]);
  });
});
