// Browser tests (Debian chromium) for everyday editing: search by ComfyUI names and param
// names, paste at the pointer, the download named after the graph, the Ctrl+S name box
// selected, the dark theme's scrollbars, and the queue list (reorder, remove).
import { describe, expect, it } from "vitest";
import { readFileSync } from "node:fs";
import type { Page } from "playwright-core";
import { node, openEditor, openGraphFile, sessionPerFile, slowGraph, type Session } from "./page-helpers";

let s: Session | string | undefined;
let page: Page;

sessionPerFile((x) => {
  s = x;
  if (typeof x === "object") page = x.page;
});

describe.sequential("editing", () => {
  it("finds nodes by ComfyUI names and by the params they set", async (ctx) => {
    if (typeof s !== "object") return ctx.skip();
    await openEditor(page, s.studio.url);
    await page.waitForSelector(node("sampler"));
    const filter = page.getByLabel("Filter palette");
    const hits = () =>
      page.$$eval("[data-testid=palette] button[data-type]", (els) => els.map((e) => e.getAttribute("data-type")));
    await filter.fill("ksampler");
    expect((await hits())[0]).toBe("ace.ditSampler");
    await filter.fill("checkpoint");
    expect(await hits()).toEqual(expect.arrayContaining(["models.dit", "models.vae", "models.textEncoder"]));
    await filter.fill("bpm");
    expect(await hits()).toContain("ace.textConditioning");
    await filter.fill("");
  });

  it("pastes at the pointer", async (ctx) => {
    if (typeof s !== "object") return ctx.skip();
    await page.click(`${node("save")} .text-neutral-100 >> nth=0`);
    await page.keyboard.press("Control+c");
    const canvas = (await page.locator("[data-testid=canvas]").boundingBox())!;
    const target = { x: canvas.x + canvas.width - 200, y: canvas.y + canvas.height - 150 };
    await page.mouse.move(target.x, target.y);
    await page.keyboard.press("Control+v");
    await page.waitForSelector(node("save1"));
    const box = (await page.locator(node("save1")).boundingBox())!;
    expect(Math.abs(box.x - target.x)).toBeLessThan(3);
    expect(Math.abs(box.y - target.y)).toBeLessThan(3);
    await page.keyboard.press("Control+z");
    await page.waitForSelector(node("save1"), { state: "detached" });
  });

  it("downloads the graph under its name", async (ctx) => {
    if (typeof s !== "object") return ctx.skip();
    await page.click("[data-testid=menu-file]");
    const [dl] = await Promise.all([page.waitForEvent("download"), page.click("[data-testid=download]")]);
    expect(dl.suggestedFilename()).toBe("Text_to_music.json");
    const json = JSON.parse(readFileSync((await dl.path())!, "utf8")) as { meta?: { name?: string } };
    expect(json.meta?.name).toBe("Text to music");
  });

  it("selects the whole name in the Ctrl+S box, so typing replaces it", async (ctx) => {
    if (typeof s !== "object") return ctx.skip();
    await page.locator(`${node("text")} textarea[aria-label=caption]`).click();
    await page.locator("body").click({ position: { x: 700, y: 5 } });
    await page.keyboard.press("Control+s");
    const input = page.locator("[data-testid=save-dialog] input");
    await input.waitFor();
    await page.keyboard.type("my synthwave");
    expect(await input.inputValue()).toBe("my synthwave");
    await page.keyboard.press("Escape");
  });

  it("draws dark scrollbars and a zoom control unlike a seek bar", async (ctx) => {
    if (typeof s !== "object") return ctx.skip();
    const scheme = await page.evaluate(() => getComputedStyle(document.documentElement).colorScheme);
    expect(scheme).toBe("dark");
    const css = await page.evaluate(() =>
      [...document.styleSheets].flatMap((sh) => [...sh.cssRules].map((r) => r.cssText)).join("\n"),
    );
    expect(css).toMatch(/scrollbar-color/);
    expect(css).toMatch(/\.zoom-slider/);
  });

  it("lists the queue, moves a waiting run up, and removes runs from it", async (ctx) => {
    if (typeof s !== "object") return ctx.skip();
    await openGraphFile(page, "queue.json", slowGraph(60, 150));
    const status = page.locator("[data-testid=run-status]");
    const ids: string[] = [];
    for (const want of ["running", "queued", "queued"]) {
      await page.click("[data-testid=run]");
      await page.waitForSelector(`[data-testid=run-status][data-status=${want}]`);
      await expect.poll(async () => (await status.getAttribute("data-run-id")) ?? ids.at(-1)).not.toBe(ids.at(-1));
      ids.push((await status.getAttribute("data-run-id"))!);
    }
    const [a, b, c] = ids as [string, string, string];
    const list = page.locator("[data-testid=queue-list]");
    const row = (id: string) => list.locator(`li[data-run-id="${id}"]`);
    const waiting = () =>
      list.locator("li[data-queue-status=queued]").evaluateAll((els) => els.map((e) => e.getAttribute("data-run-id")));
    await expect.poll(waiting).toEqual([b, c]);
    await expect.poll(() => status.textContent()).toBe("queued · position 2");
    expect(await row(b).locator("button[aria-label='move up']").isDisabled()).toBe(true);
    await row(c).locator("button[aria-label='move up']").click();
    await expect.poll(waiting).toEqual([c, b]);
    // the server's own answer for the followed run (runs.get) moved too
    await expect.poll(() => status.textContent()).toBe("queued · position 1");
    await row(c).locator("button[aria-label=remove]").click();
    await page.waitForSelector("[data-testid=run-status][data-status=cancelled]");
    await expect.poll(waiting).toEqual([b]);
    await row(a).locator("button[aria-label=remove]").click();
    await row(b).and(list.locator("li[data-queue-status=running]")).waitFor();
    await row(b).locator("button[aria-label=remove]").click();
    await page.waitForSelector("[data-testid=queue-list]", { state: "detached" });
  });

  it("logged no page errors", (ctx) => {
    if (typeof s !== "object") return ctx.skip();
    expect(s.errors).toEqual([]);
  });
});
