// End-to-end (npm run test:full): the editor in Debian chromium against the real server (built Next.js editor,
// tRPC, SSE, file routes). Builds a graph through UI actions, runs it with live progress and
// a waveform, saves and reopens it, and checks refused links and validation errors in place.
// Screenshots go to test-output/e2e/.
import { describe, expect, it } from "vitest";
import type { Page } from "playwright-core";
import type { Studio } from "./harness";
import {
  addBySearch,
  center,
  dragFrom,
  edgeCount,
  handle,
  node,
  nodeIds,
  overlaps,
  sessionPerFile,
  shot,
} from "./page-helpers";

let studio: Studio | undefined;
let page: Page;
let skip: string | null = null;
let errors: string[] = [];
let audioOut = { type: "audio.preview", title: "Preview Audio" };

sessionPerFile((x) => {
  if (typeof x === "string") skip = x;
  else ({ studio, page, errors } = x);
});

describe.sequential("editor end to end", () => {
  it("opens the editor with palette, status bar and demo banner", { timeout: 120_000 }, async (ctx) => {
    if (skip) return ctx.skip();
    await page.goto(studio!.url);
    await page.waitForSelector("[data-testid=editor][data-ready=true]");
    // a first visit opens the text2music example; this test builds its own graph
    await page.waitForSelector('.react-flow__node[data-id="sampler"]');
    await page.click("[data-testid=menu-file]");
    await page.getByText("New", { exact: true }).click();
    await expect.poll(async () => (await nodeIds(page)).length).toBe(0);
    // system.info's first answer can take seconds (model probing)
    await expect
      .poll(() => page.textContent("[data-testid=execution-provider]", { timeout: 60_000 }), { timeout: 60_000 })
      .toMatch(/CPU|CUDA/);
    expect(await page.isVisible("[data-testid=demo-banner]")).toBe(true);
    const types = await page.$$eval("[data-testid=palette] button[data-type]", (els) =>
      els.map((e) => e.getAttribute("data-type")),
    );
    expect(types).toContain("audio.testTone");
    if (!types.includes("audio.preview"))
      audioOut = types.includes("audio.save")
        ? { type: "audio.save", title: "Save Audio" }
        : { type: "e2e.saveWav", title: "Save WAV" };
    await shot(page, "01-open");
  });

  it("builds a graph through search, connecting ports and setting params", async (ctx) => {
    if (skip) return ctx.skip();
    await addBySearch(page, 230, 250, "test tone");
    await page.waitForSelector(node("testTone1"));
    await addBySearch(page, 560, 250, "slow steps");
    await page.waitForSelector(node("steps1"));
    // port → port
    await dragFrom(
      page,
      handle("testTone1", "audio", "source"),
      await center(page, handle("steps1", "audio", "target")),
    );
    await expect.poll(() => edgeCount(page)).toBe(1);
    // port → empty canvas: the search offers only nodes that take AUDIO
    await dragFrom(page, handle("steps1", "audio", "source"), { x: 880, y: 200 });
    const search = page.locator("[data-testid=node-search]");
    await search.waitFor();
    expect(await search.textContent()).toContain("Nodes that take AUDIO");
    expect(await search.locator("li[data-type=core\\.showNumber]").count()).toBe(0);
    await search.getByLabel("Search nodes").fill(audioOut.title);
    await page.keyboard.press("Enter");
    const outId = (await nodeIds(page)).find((id) => id && !["testTone1", "steps1"].includes(id))!;
    expect(outId).toBeTruthy();
    await expect.poll(() => edgeCount(page)).toBe(2);
    // params
    await page.locator(`${node("testTone1")} input[aria-label=seconds]`).fill("1.5");
    await page.locator(`${node("steps1")} input[aria-label=steps]`).fill("6");
    await page.locator(`${node("steps1")} input[aria-label=ms]`).fill("200");
    expect(await page.isVisible("[data-testid=dirty]")).toBe(true);
    await shot(page, "02-built");
  });

  it("refuses an invalid connection and says why", async (ctx) => {
    if (skip) return ctx.skip();
    await addBySearch(page, 560, 620, "show number");
    await page.waitForSelector(node("showNumber1"));
    await dragFrom(
      page,
      handle("testTone1", "audio", "source"),
      await center(page, handle("showNumber1", "value", "target")),
    );
    const toast = page.locator("[data-testid=toast][role=alert]", { hasText: "Connection refused" });
    await toast.waitFor();
    expect(await toast.textContent()).toContain("a AUDIO output cannot feed a FLOAT input");
    await expect.poll(() => edgeCount(page)).toBe(2);
    await shot(page, "03-refused");
  });

  it("shows a validation error on the node and field it names", async (ctx) => {
    if (skip) return ctx.skip();
    await page.click("[data-testid=run]");
    const issue = page.locator(`${node("showNumber1")} [data-field=value] [data-testid=field-issue]`);
    await issue.waitFor();
    expect(await issue.textContent()).toMatch(/not connected/);
    // the other nodes are not marked
    expect(await page.locator(`${node("testTone1")} [data-testid=field-issue]`).count()).toBe(0);
    await shot(page, "04-validation");
    // Delete removes the selected node
    await page.click(`${node("showNumber1")} .text-neutral-100 >> nth=0`);
    await page.keyboard.press("Delete");
    await page.waitForSelector(node("showNumber1"), { state: "detached" });
    // shown issues are re-validated after edits: with the node gone, nothing is marked
    await page.waitForSelector("[data-testid=field-issue]", { state: "detached" });
  });

  it("runs with per-node progress and shows a waveform for the audio output", async (ctx) => {
    if (skip) return ctx.skip();
    await page.keyboard.press("Control+Enter");
    const steps = page.locator(`${node("steps1")} [data-testid=node-steps]`);
    await steps.waitFor({ timeout: 15_000 });
    expect(await steps.textContent()).toMatch(/step \d \/ 6/);
    expect(await page.isVisible(`${node("steps1")} [data-testid=node-progress]`)).toBe(true);
    await shot(page, "05-progress");
    await page.waitForSelector("[data-testid=run-status][data-status=finished]", { timeout: 30_000 });
    const statuses = await page.$$eval(".react-flow__node [data-status]", (els) =>
      els.map((e) => e.getAttribute("data-status")),
    );
    expect(statuses.every((s) => s === "done" || s === "cached")).toBe(true);
    const player = page.locator("[data-testid=audio-player][data-ready=true]");
    await player.waitFor({ timeout: 15_000 });
    expect(Number(await player.getAttribute("data-duration"))).toBeCloseTo(1.5, 1);
    const canvases = await page.$eval("[data-testid=waveform]", (el) => {
      const host = el.firstElementChild as HTMLElement | null;
      return host?.shadowRoot?.querySelectorAll("canvas").length ?? el.querySelectorAll("canvas").length;
    });
    expect(canvases).toBeGreaterThan(0);
    await shot(page, "06-finished");
    // the spectrogram option renders through wavesurfer's Spectrogram plugin
    await page.locator("[data-testid=audio-player] button[title=Spectrogram]").click();
    await expect
      .poll(
        () =>
          page.$eval(
            "[data-testid=spectrogram]",
            (el) =>
              el.querySelectorAll("canvas").length +
              (el.firstElementChild?.shadowRoot?.querySelectorAll("canvas").length ?? 0),
          ),
        { timeout: 10_000 },
      )
      .toBeGreaterThan(0);
    await page.waitForTimeout(1000); // the spectrogram paints after its FFT
    await shot(page, "06b-spectrogram");
    await page.locator("[data-testid=audio-player] button[title=Spectrogram]").click();
  });

  it("shows the queue position of a waiting run and cancels it", async (ctx) => {
    if (skip) return ctx.skip();
    await page.click("[data-testid=run]");
    await page.waitForSelector("[data-testid=run-status][data-status=running]");
    await page.click("[data-testid=run]");
    const status = page.locator("[data-testid=run-status][data-status=queued]");
    await status.waitFor();
    expect(await status.textContent()).toMatch(/queued · position [1-9]/);
    await page.click("[data-testid=cancel]");
    await page.waitForSelector("[data-testid=run-status][data-status=cancelled]");
    // let the first run finish before the next test
    await expect
      .poll(() => page.evaluate(async () => (await (await fetch("/api/trpc/runs.queue")).json()).result.data.running), {
        timeout: 15_000,
      })
      .toBe(0);
  });

  it("undoes, redoes, copies and pastes", async (ctx) => {
    if (skip) return ctx.skip();
    const n0 = (await nodeIds(page)).length;
    await page.click(`${node("testTone1")} .text-neutral-100 >> nth=0`);
    await page.keyboard.press("Control+C");
    await page.keyboard.press("Control+V");
    await expect.poll(async () => (await nodeIds(page)).length).toBe(n0 + 1);
    expect(await nodeIds(page)).toContain("testTone2");
    await page.keyboard.press("Control+Z");
    await expect.poll(async () => (await nodeIds(page)).length).toBe(n0);
    await page.keyboard.press("Control+Shift+Z");
    await expect.poll(async () => (await nodeIds(page)).length).toBe(n0 + 1);
    await page.click(`${node("testTone2")} .text-neutral-100 >> nth=0`);
    await page.keyboard.press("Delete");
    await expect.poll(async () => (await nodeIds(page)).length).toBe(n0);
  });

  it("saves under a name, reloads, and reopens the saved graph", async (ctx) => {
    if (skip) return ctx.skip();
    await page.keyboard.press("Control+s");
    await page.locator("[data-testid=save-dialog] input").fill("e2e graph");
    await page.click("[data-testid=save-confirm]");
    await page.locator("[data-testid=toast]", { hasText: 'Saved "e2e graph"' }).waitFor();
    await page.waitForSelector("[data-testid=dirty]", { state: "detached" });
    const before = (await nodeIds(page)).sort();
    await page.waitForTimeout(400); // autosave debounce
    await page.reload();
    await page.waitForSelector("[data-testid=editor][data-ready=true]");
    // the working graph survives a reload (autosave)
    await expect.poll(async () => (await nodeIds(page)).sort()).toEqual(before);
    expect(await page.textContent("[data-testid=doc-name]")).toBe("e2e graph");
    // start a new graph, then reopen the saved one from the server
    await page.click("[data-testid=menu-file]");
    await page.getByText("New", { exact: true }).click();
    await expect.poll(async () => (await nodeIds(page)).length).toBe(0);
    await page.click("[data-testid=menu-open]");
    await page.click('[data-testid="saved-e2e graph"]');
    await expect.poll(async () => (await nodeIds(page)).sort()).toEqual(before);
    await expect.poll(() => edgeCount(page)).toBe(2);
    expect(await page.inputValue(`${node("testTone1")} input[aria-label=seconds]`)).toBe("1.5");
    await shot(page, "07-reopened");
  });

  it("downloads the graph JSON and opens it again from a file", async (ctx) => {
    if (skip) return ctx.skip();
    await page.click("[data-testid=menu-file]");
    const [dl] = await Promise.all([page.waitForEvent("download"), page.click("[data-testid=download]")]);
    const path = await dl.path();
    const { readFileSync } = await import("node:fs");
    const json = JSON.parse(readFileSync(path!, "utf8")) as {
      version: number;
      nodes: Record<string, unknown>;
      meta?: { name?: string };
    };
    expect(json.version).toBe(1);
    expect(Object.keys(json.nodes).sort()).toEqual((await nodeIds(page)).sort());
    expect(json.meta?.name).toBe("e2e graph");
    await page.click("[data-testid=menu-file]");
    await page.getByText("New", { exact: true }).click();
    await expect.poll(async () => (await nodeIds(page)).length).toBe(0);
    await page.setInputFiles("[data-testid=file-input]", {
      name: "mine.json",
      mimeType: "application/json",
      buffer: Buffer.from(JSON.stringify(json)),
    });
    await expect.poll(async () => (await nodeIds(page)).sort()).toEqual(Object.keys(json.nodes).sort());
    await expect.poll(() => edgeCount(page)).toBe(2);
    // a file that is not a graph is refused with the reason
    await page.setInputFiles("[data-testid=file-input]", {
      name: "bad.json",
      mimeType: "application/json",
      buffer: Buffer.from('{"version": 2}'),
    });
    await page.locator("[data-testid=toast][role=alert]", { hasText: "bad.json is not an ACE-Step graph" }).waitFor();
  });

  it("reopens a past run from the history with its outputs", async (ctx) => {
    if (skip) return ctx.skip();
    await page.click('[data-testid=run-history] li:has-text("finished") button[data-run-id] >> nth=0');
    await page.waitForSelector("[data-testid=run-status][data-status=finished]");
    await page.locator("[data-testid=audio-player][data-ready=true]").waitFor({ timeout: 15_000 });
    await shot(page, "08-history");
  });

  it("uploads a file into a file param", async (ctx) => {
    if (skip) return ctx.skip();
    await addBySearch(page, 600, 700, "load audio");
    const id = await page.$eval('.react-flow__node:has([data-type="audio.load"])', (el) => el.getAttribute("data-id")!);
    const wav = Buffer.alloc(44 + 4800 * 2);
    wav.write("RIFF", 0);
    wav.writeUInt32LE(36 + 9600, 4);
    wav.write("WAVEfmt ", 8);
    wav.writeUInt32LE(16, 16);
    wav.writeUInt16LE(1, 20);
    wav.writeUInt16LE(1, 22);
    wav.writeUInt32LE(48000, 24);
    wav.writeUInt32LE(96000, 28);
    wav.writeUInt16LE(2, 32);
    wav.writeUInt16LE(16, 34);
    wav.write("data", 36);
    wav.writeUInt32LE(9600, 40);
    await page.setInputFiles(`${node(id)} input[data-upload=file]`, {
      name: "blip.wav",
      mimeType: "audio/wav",
      buffer: wav,
    });
    await expect.poll(() => page.inputValue(`${node(id)} input[aria-label=file]`)).toMatch(/^uploads\/.+/);
    await shot(page, "10-upload");
  });

  it("feeds a param from a link: the widget becomes an input", async (ctx) => {
    if (skip) return ctx.skip();
    await page.click("[data-testid=menu-file]");
    await page.getByText("New", { exact: true }).click();
    await addBySearch(page, 250, 200, "float");
    await addBySearch(page, 600, 200, "test tone");
    const float = await page.$eval('.react-flow__node:has([data-type="core.float"])', (el) =>
      el.getAttribute("data-id")!,
    );
    const tone = await page.$eval('.react-flow__node:has([data-type="audio.testTone"])', (el) =>
      el.getAttribute("data-id")!,
    );
    expect(await page.locator(`${node(tone)} input[aria-label=frequency]`).count()).toBe(1);
    await dragFrom(page, handle(float, "value", "source"), await center(page, handle(tone, "frequency", "target")));
    await expect.poll(() => edgeCount(page)).toBe(1);
    expect(await page.locator(`${node(tone)} input[aria-label=frequency]`).count()).toBe(0);
    expect(await page.textContent(`${node(tone)} [data-field=frequency]`)).toContain("linked");
    await shot(page, "11-linked-param");
  });

  it("builds a text2music graph through the UI and runs it on the demo models", { timeout: 300_000 }, async (ctx) => {
    if (skip) return ctx.skip();
    const types = await page.$$eval("[data-testid=palette] button[data-type]", (els) =>
      els.map((e) => e.getAttribute("data-type")),
    );
    for (const t of [
      "models.dit",
      "models.textEncoder",
      "models.vae",
      "ace.emptyLatent",
      "ace.textConditioning",
      "ace.lyricsConditioning",
      "ace.ditSampler",
      "vae.decode",
      "audio.save",
    ])
      expect(types).toContain(t);
    await page.click("[data-testid=menu-file]");
    await page.getByText("New", { exact: true }).click();
    await expect.poll(async () => (await nodeIds(page)).length).toBe(0);
    // zoom out so nine nodes fit the canvas
    await page.click(".react-flow__controls-zoomout");
    await page.click(".react-flow__controls-zoomout");
    await page.click(".react-flow__controls-zoomout");
    const place: Array<[number, number, string, string]> = [
      [220, 90, "load dit", "dit1"],
      [220, 260, "load text encoder", "textEncoder1"],
      [220, 560, "load vae", "vae1"],
      [400, 90, "empty latent", "emptyLatent1"],
      [400, 230, "text conditioning", "textConditioning1"],
      [400, 560, "lyrics conditioning", "lyricsConditioning1"],
      [590, 90, "dit sampler", "ditSampler1"],
      [780, 90, "vae decode", "decode1"],
    ];
    for (const [x, y, q, id] of place) {
      await addBySearch(page, x, y, q);
      await page.waitForSelector(node(id));
    }
    const link = async (from: string, out: string, to: string, input: string) => {
      const n = await edgeCount(page);
      await dragFrom(page, handle(from, out, "source"), await center(page, handle(to, input, "target")));
      await expect.poll(() => edgeCount(page), { message: `${from}.${out} → ${to}.${input}` }).toBe(n + 1);
    };
    await link("dit1", "dit", "emptyLatent1", "dit");
    await link("textEncoder1", "textEncoder", "textConditioning1", "textEncoder");
    await link("emptyLatent1", "latent", "textConditioning1", "latent");
    await link("textEncoder1", "textEncoder", "lyricsConditioning1", "textEncoder");
    await link("dit1", "dit", "ditSampler1", "dit");
    await link("textConditioning1", "conditioning", "ditSampler1", "text");
    await link("lyricsConditioning1", "conditioning", "ditSampler1", "lyrics");
    await link("emptyLatent1", "latent", "ditSampler1", "latent");
    await link("vae1", "vae", "decode1", "vae");
    await link("ditSampler1", "latent", "decode1", "latent");
    // the last node comes from dropping the decoder's AUDIO output on empty canvas
    await dragFrom(page, handle("decode1", "audio", "source"), { x: 960, y: 120 });
    await page.locator("[data-testid=node-search]").getByLabel("Search nodes").fill("save audio");
    await page.keyboard.press("Enter");
    await page.waitForSelector(node("save1"));
    await expect.poll(() => edgeCount(page)).toBe(11);
    // params: a caption and lyrics typed in, the shortest duration
    await page
      .locator(`${node("textConditioning1")} textarea[aria-label=caption]`)
      .fill("warm lo-fi hip hop, dusty piano");
    await page
      .locator(`${node("lyricsConditioning1")} textarea[aria-label=lyrics]`)
      .fill("[verse]\nRain on the window");
    await page.locator(`${node("emptyLatent1")} input[aria-label=duration]`).fill("10");
    await shot(page, "12-text2music-built");
    // record every step counter the sampler shows while it runs
    await page.evaluate(() => {
      const seen: string[] = ((window as unknown as { __steps: string[] }).__steps = []);
      new MutationObserver(() => {
        for (const el of document.querySelectorAll('.react-flow__node[data-id="ditSampler1"] [data-testid=node-steps]'))
          if (el.textContent && !seen.includes(el.textContent)) seen.push(el.textContent);
      }).observe(document.body, { subtree: true, childList: true, characterData: true });
    });
    await page.keyboard.press("Control+Enter");
    await page
      .waitForFunction(
        () =>
          document.querySelector('.react-flow__node[data-id="ditSampler1"] [data-status=running]') ||
          document.querySelector("[data-testid=field-issue], [data-testid=global-issues]") ||
          ["finished", "failed"].includes(
            document.querySelector("[data-testid=run-status]")?.getAttribute("data-status") ?? "",
          ),
        undefined,
        { timeout: 120_000 },
      )
      .finally(() => shot(page, "13-text2music-running"));
    expect(await page.locator("[data-testid=field-issue], [data-testid=global-issues]").count()).toBe(0);
    const st = page.locator("[data-testid=run-status]");
    await page.waitForFunction(
      () =>
        ["finished", "failed"].includes(
          document.querySelector("[data-testid=run-status]")?.getAttribute("data-status") ?? "",
        ),
      undefined,
      { timeout: 240_000 },
    );
    expect(await st.getAttribute("data-status"), (await st.textContent()) ?? "").toBe("finished");
    const steps = await page.evaluate(() => (window as unknown as { __steps: string[] }).__steps);
    expect(
      steps.some((t) => /^step \d+ \/ \d+$/.test(t)),
      JSON.stringify(steps),
    ).toBe(true);
    const player = page.locator(`${node("save1")} [data-testid=audio-player][data-ready=true]`);
    await player.waitFor({ timeout: 30_000 });
    expect(Number(await player.getAttribute("data-duration"))).toBeCloseTo(10, 0);
    await shot(page, "14-text2music-finished");
  });

  it("opens and runs every example graph", async (ctx) => {
    if (skip) return ctx.skip();
    const ids = await page.evaluate(async () => {
      const r = await fetch("/api/trpc/graphs.examples");
      return ((await r.json()) as { result: { data: Array<{ id: string }> } }).result.data.map((e) => e.id);
    });
    expect(ids.length).toBeGreaterThan(0);
    for (const id of ids) {
      await page.click("[data-testid=menu-examples]");
      await page.click(`[data-testid="example-${id}"]`);
      await page.waitForSelector(".react-flow__node");
      expect(await page.locator("[data-status=unknown]").count()).toBe(0);
      // Arrange leaves no two nodes overlapping
      await page.click("[data-testid=arrange]");
      await page.waitForTimeout(300);
      expect(await overlaps(page), `example ${id}`).toEqual([]);
      const before = await page
        .locator("[data-testid=run-status]")
        .getAttribute("data-run-id", { timeout: 500 })
        .catch(() => null);
      await page.click("[data-testid=run]");
      // ends with the new run in a terminal state, or with validation issues on screen
      const outcome = await page.waitForFunction(
        (prev) => {
          if (document.querySelector("[data-testid=field-issue], [data-testid=global-issues]"))
            return (
              "invalid: " +
              document.querySelector("[data-testid=field-issue], [data-testid=global-issues]")!.textContent
            );
          const el = document.querySelector("[data-testid=run-status]");
          const st = el?.getAttribute("data-status");
          if (
            !el ||
            el.getAttribute("data-run-id") === prev ||
            !["finished", "failed", "cancelled", "interrupted"].includes(st ?? "")
          )
            return false;
          return st === "finished"
            ? "finished"
            : `${st}: ${el.textContent} ${[...document.querySelectorAll("[data-testid=node-error]")].map((e) => e.textContent).join("; ")}`;
        },
        before,
        { timeout: 240_000 },
      );
      expect(await outcome.jsonValue(), `example ${id}`).toBe("finished");
      await shot(page, `09-example-${id}`);
    }
  }, 600_000);

  it("logged no page errors", (ctx) => {
    if (skip) return ctx.skip();
    expect(errors).toEqual([]);
  });
});
