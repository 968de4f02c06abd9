// Browser smoke test for `npm test` (the long browser suites are the *.full.test.ts files):
// the editor opens in Debian chromium, a first visit shows the text2music example with its
// palette and status bar, and simple mode opens over it with no page errors.
import { describe, expect, it } from "vitest";
import type { Page } from "playwright-core";
import { node, openEditor, sessionPerFile, type Session } from "./page-helpers";

let s: Session | string | undefined;
let page: Page;

sessionPerFile((x) => {
  s = x;
  if (typeof x === "object") page = x.page;
});

describe("editor smoke", () => {
  it("opens text2music on a first visit, with the palette, status bar and simple mode", async (ctx) => {
    if (typeof s !== "object") return ctx.skip();
    await openEditor(page, s.studio.url);
    await page.waitForSelector(node("sampler"));
    expect(await page.locator("[data-testid=palette] button[data-type]").count()).toBeGreaterThan(20);
    await page.locator("[data-testid=status-bar]", { hasText: "provider" }).waitFor({ timeout: 60_000 });
    // the memory tier the budget picks (server/models/tiers.ts), e.g. "tier6 · LM 4B · batch ≤ 4"
    expect(await page.textContent("[data-testid=memory-tier]")).toMatch(
      /^(tier[1-6]|unlimited) · LM (none|0\.6B|1\.7B|4B) · batch ≤ \d/,
    );
    await page.click("[data-testid=mode-toggle]");
    await page.locator("[data-testid=simple-mode]").getByLabel("Prompt").waitFor();
    expect(await page.inputValue("[data-testid=simple-mode] textarea >> nth=0")).toContain("lo-fi");
    expect(s.errors).toEqual([]);
  });
});
