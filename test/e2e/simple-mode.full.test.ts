// Browser test (Debian chromium) of simple mode on the demo models: type a prompt, press
// Generate, get a gallery card per batch item with its seed and facts; one sound at a time;
// A/B switches at the same position; LRC lyrics follow playback; "use this seed"; "send to
// Repaint" with a window dragged on the waveform; a star keeps an item; "send to Load Audio /
// Cover". README screenshots: ACESTEP_UPDATE_SCREENSHOTS=1 writes them to docs/img/.
import { describe, expect, it } from "vitest";
import type { Page } from "playwright-core";
import { node, openEditor, readmeShot, sessionPerFile, shot, type Session } from "./page-helpers";

let s: Session | string | undefined;
let page: Page;
const card = (i: number) => `[data-testid=gallery-card][data-item="${i}"]`;
const playerOf = (i: number) => `${card(i)} [data-testid=audio-player]`;
/** Lyrics with LRC times (upstream's `[mm:ss.xx]` lines), and the line each time falls in. */
const LRC = "[00:00.00][verse]\n[00:01.00]Neon rain on the window\n[00:04.00]Hold on to the night";
const lineAt = (t: number) => (t < 1 ? "[verse]" : t < 4 ? "Neon rain on the window" : "Hold on to the night");

sessionPerFile((x) => {
  s = x;
  if (typeof x === "object") page = x.page;
});

describe.sequential("simple mode and the results gallery", () => {
  it("generates from a typed prompt and shows a card per item that plays", { timeout: 400_000 }, async (ctx) => {
    if (typeof s !== "object") return ctx.skip();
    await openEditor(page, s.studio.url);
    await page.waitForSelector(node("sampler"));
    await page.click("[data-testid=mode-toggle]");
    const panel = page.locator("[data-testid=simple-mode]");
    await panel.waitFor();
    await panel.getByLabel("Prompt").fill("dreamy synthwave, analog pads, gated drums");
    await panel.getByLabel("Lyrics").fill(LRC);
    await panel.locator("[data-simple-field='Duration (s)'] input").fill("10");
    await panel.locator("[data-simple-field=Batch] input").fill("2");
    await readmeShot(page, "simple-mode");
    await page.click("[data-testid=generate]");
    await page.waitForSelector("[data-testid=run-status][data-status=finished]", { timeout: 360_000 });
    await page.locator(`${playerOf(1)}[data-ready=true]`).waitFor({ timeout: 30_000 });
    await page.locator(`${playerOf(2)}[data-ready=true]`).waitFor({ timeout: 30_000 });
    const seeds = await page.$$eval("[data-testid=card-seed]", (els) => els.map((e) => e.textContent));
    expect(seeds).toHaveLength(2);
    expect(Number(seeds[1])).toBe(Number(seeds[0]) + 1); // item i uses seed + i
    expect(await page.textContent(card(1))).toContain("dreamy synthwave");
    expect(await page.textContent(card(1))).toMatch(/10\.0 s/);
    await page.click(`${playerOf(1)} button[aria-label=play]`);
    await page.waitForSelector(`${playerOf(1)}[data-playing=true]`);
    await expect.poll(async () => Number(await page.getAttribute(playerOf(1), "data-time"))).toBeGreaterThan(0);
    // one at a time: starting item 2 stops item 1
    await page.click(`${playerOf(2)} button[aria-label=play]`);
    await page.waitForSelector(`${playerOf(2)}[data-playing=true]`);
    expect(await page.getAttribute(playerOf(1), "data-playing")).toBe("false");
    await page.click(`${playerOf(2)} button[aria-label=pause]`);
    await readmeShot(page, "gallery");
  });

  it("switches A and B at the same position", async (ctx) => {
    if (typeof s !== "object") return ctx.skip();
    await page.click(`${card(1)} [data-testid=mark-a]`);
    await page.click(`${card(2)} [data-testid=mark-b]`);
    await page.click(`${playerOf(1)} button[aria-label=play]`);
    await expect.poll(async () => Number(await page.getAttribute(playerOf(1), "data-time"))).toBeGreaterThan(1);
    await page.click("[data-testid=ab-switch]");
    await page.waitForSelector(`${playerOf(2)}[data-playing=true]`);
    expect(await page.getAttribute(playerOf(1), "data-playing")).toBe("false");
    const a = Number(await page.getAttribute(playerOf(1), "data-time"));
    const b = Number(await page.getAttribute(playerOf(2), "data-time"));
    expect(a).toBeGreaterThan(1);
    expect(Math.abs(b - a)).toBeLessThan(0.6);
    await page.click("[data-testid=ab-switch]");
    await page.waitForSelector(`${playerOf(1)}[data-playing=true]`);
    expect(await page.getAttribute(playerOf(2), "data-playing")).toBe("false");
    await page.click(`${playerOf(1)} button[aria-label=pause]`);
    await shot(page, "simple-02-ab");
  });

  it("shows LRC lyrics synced to playback, the line being sung highlighted", async (ctx) => {
    if (typeof s !== "object") return ctx.skip();
    const lyrics = page.locator(`${card(1)} [data-testid=card-lyrics]`);
    expect(await lyrics.getAttribute("data-synced")).toBe("true");
    const active = () => lyrics.locator("[data-testid=lyric-line][data-active=true]").textContent();
    // paused where the A/B test left it
    const t0 = Number(await page.getAttribute(playerOf(1), "data-time"));
    expect(await active()).toBe(lineAt(t0));
    await page.click(`${playerOf(1)} button[aria-label=play]`);
    await expect
      .poll(async () => Number(await page.getAttribute(playerOf(1), "data-time")), { timeout: 20_000 })
      .toBeGreaterThan(4.2);
    await page.click(`${playerOf(1)} button[aria-label=pause]`);
    const t1 = Number(await page.getAttribute(playerOf(1), "data-time"));
    expect(lineAt(t1)).toBe("Hold on to the night");
    expect(await active()).toBe(lineAt(t1));
    expect(await lyrics.locator("[data-testid=lyric-line]").allTextContents()).toEqual([
      "[verse]",
      "Neon rain on the window",
      "Hold on to the night",
    ]);
  });

  it("uses an item's seed, and sends an item to Repaint with a window dragged on its waveform", async (ctx) => {
    if (typeof s !== "object") return ctx.skip();
    const seed = await page.textContent(`${card(2)} [data-testid=card-seed]`);
    await page.click(`${card(2)} [data-testid=use-seed]`);
    await page.click("[data-testid=mode-toggle]"); // back to the graph
    expect(await page.inputValue(`${node("sampler")} input[aria-label=seed]`)).toBe(seed);
    await page.click("[data-testid=mode-toggle]");
    // drag from 20% to 50% of item 1's waveform (once its player is ready again) to pick the window
    await page.locator(`${playerOf(1)}[data-ready=true]`).waitFor();
    const wave = (await page.locator(`${card(1)} [data-testid=waveform]`).boundingBox())!;
    const y = wave.y + wave.height / 2;
    await page.mouse.move(wave.x + wave.width * 0.2, y);
    await page.mouse.down();
    await page.waitForTimeout(150);
    for (let k = 1; k <= 10; k++) {
      await page.mouse.move(wave.x + wave.width * (0.2 + 0.03 * k), y);
      await page.waitForTimeout(20);
    }
    await page.mouse.up();
    const shown = await page.locator(`${card(1)} [data-testid=card-window]`).textContent();
    const [, start, end] = /window ([\d.]+)–([\d.]+) s/.exec(shown ?? "")!;
    expect(Number(start)).toBeGreaterThan(1);
    expect(Number(end)).toBeGreaterThan(Number(start) + 2);
    await page.click(`${card(1)} [data-testid=send-repaint]`);
    await page.click("[data-testid=mode-toggle]");
    await page.waitForSelector(`${node("task")}[data-id] [data-type="ace.repaint"]`);
    expect(await page.textContent("[data-testid=doc-name]")).toBe("Repaint of #1");
    expect(await page.inputValue(`${node("source")} input[aria-label=file]`)).toMatch(/\.flac$/);
    expect(Number(await page.inputValue(`${node("task")} input[aria-label=start]`))).toBeCloseTo(Number(start), 2);
    expect(Number(await page.inputValue(`${node("task")} input[aria-label=end]`))).toBeCloseTo(Number(end), 2);
    await shot(page, "simple-03-repaint");
  });

  it("stars an item to keep it, and sends items to a new Load Audio node and to Cover", async (ctx) => {
    if (typeof s !== "object") return ctx.skip();
    // back to the text2music run (the Repaint graph holds no results yet)
    await page.click('[data-testid=run-history] li:has-text("finished") button[data-run-id] >> nth=0');
    await page.waitForSelector("[data-testid=run-status][data-status=finished]");
    if ((await page.textContent("[data-testid=mode-toggle]")) === "Simple mode")
      await page.click("[data-testid=mode-toggle]");
    await page.locator(`${playerOf(2)}[data-ready=true]`).waitFor();
    const pathOf = async (i: number) =>
      decodeURIComponent(
        (await page.getAttribute(`${playerOf(i)} a[download]`, "href"))!.replace(/^\/api\/files\//, ""),
      );
    const [p1, p2] = [await pathOf(1), await pathOf(2)];
    expect(p1).not.toBe(p2);
    const star = page.locator(`${card(2)} button[aria-label=star]`);
    const starred = () =>
      page.evaluate(() => JSON.parse(localStorage.getItem("acestep-studio.starred.v1") ?? "[]") as string[]);
    await star.click();
    expect(await star.getAttribute("aria-pressed")).toBe("true");
    expect(await starred()).toContain(p2);
    const graph = () =>
      page.evaluate(
        () =>
          (
            JSON.parse(localStorage.getItem("acestep-studio.working-graph.v1") ?? "{}") as {
              graph?: {
                nodes: Record<
                  string,
                  { type: string; params?: { file?: string }; inputs?: Record<string, { node: string }> }
                >;
              };
            }
          ).graph?.nodes ?? {},
      );
    const loadsOf = (nodes: Awaited<ReturnType<typeof graph>>, path: string) =>
      Object.entries(nodes)
        .filter(([, n]) => n.type === "audio.load" && n.params?.file === path)
        .map(([id]) => id);
    // → Load Audio: a new node in this graph, holding item 1's file
    await page.click(`${card(1)} [data-testid=send-load]`);
    await expect.poll(async () => loadsOf(await graph(), p1)).toHaveLength(1);
    // → Cover: the Cover example with item 2's file as the task's source audio
    await page.click(`${card(2)} [data-testid=send-cover]`);
    await expect.poll(() => page.textContent("[data-testid=doc-name]")).toBe("Cover of #2");
    await expect
      .poll(async () => {
        const nodes = await graph();
        const task = Object.values(nodes).find((n) => n.type === "ace.cover");
        return task?.inputs?.audio && loadsOf(nodes, p2).includes(task.inputs.audio.node);
      })
      .toBe(true);
  });

  it("logged no page errors", (ctx) => {
    if (typeof s !== "object") return ctx.skip();
    expect(s.errors).toEqual([]);
  });
});
