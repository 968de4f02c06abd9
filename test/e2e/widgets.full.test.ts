// Browser tests (Debian chromium) for the param widgets: number fields show the graph's
// value, take select-all + delete, refuse words and out-of-range values while typing (with
// the range shown); the seed control after a run and the seed a run used; the keyscale list;
// an LM plan's metadata under readable labels, with its audio codes viewable.
import { describe, expect, it } from "vitest";
import type { Page } from "playwright-core";
import { node, openEditor, openGraphFile, sessionPerFile, shot, slowGraph, type Session } from "./page-helpers";

let s: Session | string | undefined;
let page: Page;

sessionPerFile((x) => {
  s = x;
  if (typeof x === "object") page = x.page;
});

/** The working graph as autosaved (after its debounce). */
async function storedParam(nodeId: string, param: string): Promise<unknown> {
  await page.waitForTimeout(400);
  return page.evaluate(
    ([n, p]) => {
      const a = JSON.parse(localStorage.getItem("acestep-studio.working-graph.v1") ?? "{}") as {
        graph?: { nodes: Record<string, { params?: Record<string, unknown> }> };
      };
      return a.graph?.nodes[n]?.params?.[p];
    },
    [nodeId, param] as const,
  );
}

describe.sequential("param widgets", () => {
  it("clears a seed with select-all and delete, and takes a new one", async (ctx) => {
    if (typeof s !== "object") return ctx.skip();
    await openEditor(page, s.studio.url);
    await page.waitForSelector(node("sampler"));
    const seed = page.locator(`${node("sampler")} input[aria-label=seed]`);
    expect(await seed.inputValue()).toBe("42");
    await seed.click();
    await page.keyboard.press("Control+a");
    await page.keyboard.press("Backspace");
    expect(await seed.inputValue()).toBe("");
    expect(await page.textContent(`${node("sampler")} [data-testid=number-problem]`)).toMatch(
      /enter a number.*keeps 42/,
    );
    await page.keyboard.type("1234");
    expect(await seed.inputValue()).toBe("1234");
    expect(await page.locator(`${node("sampler")} [data-testid=number-problem]`).count()).toBe(0);
    expect(await storedParam("sampler", "seed")).toBe(1234);
    await shot(page, "widgets-01-seed");
  });

  it("refuses words and out-of-range numbers as they are typed, showing the range, and keeps the graph's value", async (ctx) => {
    if (typeof s !== "object") return ctx.skip();
    const dur = page.locator(`${node("latent")} input[aria-label=duration]`);
    const before = await dur.inputValue();
    expect(await page.textContent(`${node("latent")} [data-field=duration] [data-testid=range]`)).toBe("10 … 600");
    await dur.fill("abc");
    expect(await page.textContent(`${node("latent")} [data-testid=number-problem]`)).toContain('"abc" is not a number');
    expect(await dur.getAttribute("aria-invalid")).toBe("true");
    await dur.fill("5");
    expect(await page.textContent(`${node("latent")} [data-testid=number-problem]`)).toContain("5 is outside 10 … 600");
    expect(await storedParam("latent", "duration")).toBe(Number(before));
    await page.locator(`${node("latent")} input[aria-label=duration]`).blur();
    // leaving the field shows what the graph holds
    expect(await dur.inputValue()).toBe(before);
    await dur.fill("12");
    expect(await storedParam("latent", "duration")).toBe(12);
    await shot(page, "widgets-02-range");
  });

  it("offers each key once, in upstream's spellings", async (ctx) => {
    if (typeof s !== "object") return ctx.skip();
    const options = await page.$$eval(`${node("text")} select[aria-label=keyscale] option`, (els) =>
      els.map((e) => (e as HTMLOptionElement).value),
    );
    expect(options).toHaveLength(35);
    expect(new Set(options).size).toBe(35);
    for (const gone of ["A♯ major", "A♭ minor", "E# major", "B# minor", "Cb major", "Fb minor"])
      expect(options).not.toContain(gone);
    for (const kept of ["", "C major", "F# minor", "Bb major", "Eb minor"]) expect(options).toContain(kept);
  });

  it("offers the installed models of a loader's component, and the missing ones with how to install them", async (ctx) => {
    if (typeof s !== "object") return ctx.skip();
    const select = `${node("dit")} select[aria-label=name]`;
    await expect
      .poll(() => page.locator(`${select} option:not([disabled])`).count(), { timeout: 30_000 })
      .toBeGreaterThan(1);
    const options = await page.$$eval(`${select} option`, (els) =>
      els.map((e) => ({
        value: (e as HTMLOptionElement).value,
        text: e.textContent ?? "",
        disabled: (e as HTMLOptionElement).disabled,
      })),
    );
    expect(options[0]).toMatchObject({ value: "", disabled: false });
    const installed = options.filter((o) => !o.disabled && o.value !== "");
    expect(installed.some((o) => /demo/.test(o.text))).toBe(true);
    const list = await page.evaluate(async () => {
      const r = await fetch("/api/trpc/models.list", {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: "{}",
      });
      return (
        (await r.json()) as {
          result: {
            data: { installed: Array<{ component: string; name: string }>; missing: Array<{ component: string }> };
          };
        }
      ).result.data;
    });
    expect(installed.map((o) => o.value).sort()).toEqual(
      list.installed
        .filter((m) => m.component === "dit")
        .map((m) => m.name)
        .sort(),
    );
    const missing = list.missing.filter((m) => m.component === "dit").length;
    expect(options.filter((o) => o.disabled)).toHaveLength(missing);
    if (missing > 0)
      expect(await page.textContent(`${node("dit")} [data-testid=model-missing]`)).toMatch(/acestep models/);
    await page.selectOption(select, installed[0].value);
    expect(await storedParam("dit", "name")).toBe(installed[0].value);
    await shot(page, "widgets-04-models");
  });

  it("draws the dice without an emoji", async (ctx) => {
    if (typeof s !== "object") return ctx.skip();
    const dice = page.locator(`${node("sampler")} button[aria-label="seed new random seed"]`);
    expect(await dice.locator("svg").count()).toBe(1);
    expect((await dice.textContent())?.trim()).toBe("");
  });

  it("shows the seed a random run used, and moves an incrementing seed on after each run", async (ctx) => {
    if (typeof s !== "object") return ctx.skip();
    await openGraphFile(page, "seeded.json", slowGraph(2, 20));
    await page.click("[data-testid=run]");
    await page.waitForSelector("[data-testid=run-status][data-status=finished]");
    const used = page.locator(`${node("steps")} [data-testid=used-seed]`);
    await used.waitFor();
    const drawn = Number((await used.locator("b").textContent()) ?? "NaN");
    expect(Number.isInteger(drawn) && drawn >= 0).toBe(true);
    // reuse it, fixed; then increment after each run
    await used.getByRole("button", { name: "reuse" }).click();
    expect(await page.inputValue(`${node("steps")} input[aria-label=seed]`)).toBe(String(drawn));
    await page.selectOption(`${node("steps")} select[aria-label="seed after run"]`, "increment");
    await page.click("[data-testid=run]");
    await expect
      .poll(() => page.inputValue(`${node("steps")} input[aria-label=seed]`))
      .toBe(String((drawn + 1) % 2 ** 32));
    await page.waitForSelector("[data-testid=run-status][data-status=finished]");
    await expect.poll(() => used.locator("b").textContent()).toBe(String(drawn));
    await shot(page, "widgets-03-seed-control");
  });

  it("labels an LM plan's metadata readably and shows its audio codes, not only their count", async (ctx) => {
    if (typeof s !== "object") return ctx.skip();
    await openGraphFile(page, "lm-plan.json", {
      version: 1,
      nodes: {
        lmModel: { type: "models.lm", ui: { x: 0, y: 0 } },
        lm: {
          type: "lm.generate",
          params: {
            caption: "lo-fi piano",
            lyrics: "[verse]\nRain on the window",
            duration: 10,
            thinking: true,
            seed: 7,
          },
          inputs: { lm: { node: "lmModel", output: "lm" } },
          ui: { x: 320, y: 0 },
        },
        show: { type: "core.showSong", inputs: { song: { node: "lm", output: "song" } }, ui: { x: 720, y: 0 } },
      },
    });
    await page.click("[data-testid=run]");
    await page.waitForSelector("[data-testid=run-status][data-status=finished]", { timeout: 240_000 });
    const song = page.locator(`${node("lm")} [data-testid=song-result]`);
    const labels = await song.locator("dt").allTextContents();
    expect(labels.length).toBeGreaterThan(3);
    // upstream's raw keys (cot_bpm, phase1, cotMs, …) are not what a musician reads
    expect(labels.filter((l) => /^cot_|_|^[a-z]+[A-Z]|^phase\d$/.test(l))).toEqual([]);
    expect(labels).toContain("Thinking time");
    const codes = song.locator("[data-testid=audio-codes]");
    const summary = (await codes.locator("summary").textContent()) ?? "";
    const count = Number(/\((\d+), 5 per second\)/.exec(summary)?.[1]);
    expect(count).toBe(50); // 10 s at 5 codes per second
    await codes.locator("summary").click();
    const text = (await codes.locator("pre").textContent()) ?? "";
    const values = text.trim().split(/\s+/).map(Number);
    expect(values).toHaveLength(count);
    expect(values.every((v) => Number.isInteger(v) && v >= 0)).toBe(true);
    await shot(page, "widgets-04-lm-plan");
  });

  it("logged no page errors", (ctx) => {
    if (typeof s !== "object") return ctx.skip();
    expect(s.errors).toEqual([]);
  });
});
