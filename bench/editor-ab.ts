// Editor time to interactive, this tree against another commit, measured side by side: both editors are built
// and served at once and the page loads alternate between them (old, new, new, old, …), so the load of a shared
// machine falls on both alike. Reports the median time to interactive (navigation start → palette loaded, as in
// bench/editor.ts) and where it went: DOMContentLoaded, the end of the JS chunks, nodes.list's request.
// Run: npx tsx bench/editor-ab.ts <commit> [loads per side, default 12]
//   e.g. npx tsx bench/editor-ab.ts 7e2df04   (the commit before the editor wave of issue 18)
// The other commit is unpacked (git archive) into $TMPDIR/acestep-editor-ab-<commit>, with this tree's node_modules
// hard-linked in (so both use the same dependency versions), and built there (outside this tree: nested inside
// it, the CSS build scans the parent project and takes minutes).
import { execFileSync } from "node:child_process";
import { existsSync, mkdirSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import type { Page } from "playwright-core";
import { ensureBuild, launchBrowser, ROOT, startStudio, type Studio } from "../test/e2e/harness";

const rev = process.argv[2];
const loads = Number(process.argv[3] ?? 12);
if (!rev) throw new Error("usage: npx tsx bench/editor-ab.ts <commit> [loads per side]");
const sha = execFileSync("git", ["rev-parse", "--short", rev], { cwd: ROOT, encoding: "utf8" }).trim();
const other = join(tmpdir(), `acestep-editor-ab-${sha}`);
if (!existsSync(join(other, "package.json"))) {
  mkdirSync(other, { recursive: true });
  execFileSync("bash", ["-c", `git archive ${sha} | tar -x -C '${other}'`], { cwd: ROOT, stdio: "inherit" });
  execFileSync("cp", ["-al", join(ROOT, "node_modules"), join(other, "node_modules")], { stdio: "inherit" });
}

interface Harness {
  ensureBuild(): void;
  startStudio(): Promise<Studio>;
}
const theirs = (await import(pathToFileURL(join(other, "test/e2e/harness.ts")).href)) as Harness;
theirs.ensureBuild();
ensureBuild();

interface Sample {
  tti: number;
  /** when the page itself set data-ready=true (a MutationObserver in the page): tti without Playwright's polling */
  ready: number;
  dcl: number;
  jsEnd: number;
  nodesListStart: number;
  nodesListEnd: number;
  requests: number;
}

async function load(page: Page, url: string): Promise<Sample> {
  let requests = 0;
  page.on("request", () => requests++);
  // (a string: tsx would wrap a function's inner callbacks in a helper the page lacks)
  await page.addInitScript(`new MutationObserver((_, o) => {
    if (document.querySelector("[data-testid=editor][data-ready=true]")) { window.__readyAt = performance.now(); o.disconnect(); }
  }).observe(document, { subtree: true, childList: true, attributes: true, attributeFilter: ["data-ready"] })`);
  await page.goto(url, { waitUntil: "commit" });
  await page.waitForSelector("[data-testid=editor][data-ready=true]");
  const ready = (await page.evaluate("window.__readyAt")) as number;
  const t = await page.evaluate(() => {
    const res = performance.getEntriesByType("resource") as PerformanceResourceTiming[];
    const nl = res.find((e) => e.name.includes("nodes.list"));
    const nav = performance.getEntriesByType("navigation")[0] as PerformanceNavigationTiming;
    return {
      tti: performance.now(),
      dcl: nav.domContentLoadedEventEnd,
      jsEnd: Math.max(0, ...res.filter((e) => e.name.endsWith(".js")).map((e) => e.responseEnd)),
      nodesListStart: nl?.startTime ?? NaN,
      nodesListEnd: nl?.responseEnd ?? NaN,
    };
  });
  return { ...t, ready, requests };
}

const browser = await launchBrowser();
if (typeof browser === "string") throw new Error(browser);
const studios = { [sha]: await theirs.startStudio(), "this tree": await startStudio() };
const names = Object.keys(studios);
const samples: Record<string, Sample[]> = Object.fromEntries(names.map((n) => [n, []]));
try {
  // round 0 warms both servers (first answers of system.info and the demo models take seconds)
  for (let i = 0; i <= loads; i++)
    for (const name of i % 2 ? names : [...names].reverse()) {
      const ctx = await browser.newContext({ viewport: { width: 1400, height: 900 } });
      const s = await load(await ctx.newPage(), studios[name]!.url);
      if (i > 0) samples[name]!.push(s);
      await ctx.close();
    }
} finally {
  await browser.close();
  for (const s of Object.values(studios)) await s.close();
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] ?? NaN;
for (const name of names) {
  const xs = samples[name]!;
  const m = (k: keyof Sample) => median(xs.map((x) => x[k])).toFixed(0);
  console.log(
    `${name}: time to interactive median ${m("tti")} ms (min ${Math.min(...xs.map((x) => x.tti)).toFixed(0)}, ` +
      `max ${Math.max(...xs.map((x) => x.tti)).toFixed(0)}, ${xs.length} loads); ready in the page ${m("ready")} ms; DOMContentLoaded ${m("dcl")} ms, ` +
      `JS chunks loaded ${m("jsEnd")} ms, nodes.list ${m("nodesListStart")}→${m("nodesListEnd")} ms, ` +
      `${m("requests")} requests before ready`,
  );
}
