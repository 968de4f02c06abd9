// Shared browser-test helpers: one studio and one Chromium page per test file, selectors for
// nodes, handles and widgets, and the gestures the tests repeat (drag, add by search, open a
// graph from a file).
import { mkdirSync } from "node:fs";
import type { Browser, Page } from "playwright-core";
import { afterAll, beforeAll } from "vitest";
import { ensureBuild, launchBrowser, ROOT, SHOTS, startStudio, type Studio } from "./harness";

export interface Session {
  studio: Studio;
  browser: Browser;
  page: Page;
  /** Page errors and console errors seen so far. */
  errors: string[];
}

/** Starts the studio and a page, or returns why the browser tests cannot run here. */
export async function openSession(): Promise<Session | string> {
  const browser = await launchBrowser();
  if (typeof browser === "string") return browser;
  ensureBuild();
  const studio = await startStudio();
  const page = await browser.newPage({ viewport: { width: 1400, height: 900 } });
  page.setDefaultTimeout(30_000);
  const errors: string[] = [];
  page.on("pageerror", (e) => errors.push(`pageerror: ${e.message}`));
  page.on("console", (m) => {
    // a refused runs.start answers 400 on purpose; favicon 404s do not matter
    if (m.type() === "error" && !/favicon|runs\.start|runs\.events/.test(m.location().url))
      errors.push(`console: ${m.text()} (${m.location().url})`);
  });
  page.on("dialog", (d) => void d.accept());
  return { studio, browser, page, errors };
}

export async function closeSession(s: Session | string | undefined): Promise<void> {
  if (!s || typeof s === "string") return;
  await s.browser.close();
  await s.studio.close();
}

/**
 * The one studio + page of a test file: registers the file's beforeAll (openSession; logs why the browser tests
 * are skipped when they cannot run here) and afterAll (closeSession). `use` receives the session, or the reason.
 */
export function sessionPerFile(use: (s: Session | string) => void): void {
  let s: Session | string | undefined;
  beforeAll(async () => {
    s = await openSession();
    if (typeof s === "string") console.warn(`browser tests skipped: ${s}`);
    use(s);
  }, 600_000);
  afterAll(() => closeSession(s));
}

export const node = (id: string) => `.react-flow__node[data-id="${id}"]`;
export const handle = (id: string, name: string, kind: "source" | "target") =>
  `${node(id)} .react-flow__handle.${kind}[data-handleid="${name}"]`;

export async function shot(page: Page, name: string): Promise<void> {
  mkdirSync(SHOTS, { recursive: true });
  await page.screenshot({ path: `${SHOTS}/${name}.png` });
}

/**
 * A README screenshot: docs/img/NAME.png when ACESTEP_UPDATE_SCREENSHOTS=1 (regenerating them on purpose),
 * else test-output like any other shot, so a test run leaves the repository's files as they were.
 */
export async function readmeShot(page: Page, name: string): Promise<void> {
  if (process.env.ACESTEP_UPDATE_SCREENSHOTS === "1") await page.screenshot({ path: `${ROOT}/docs/img/${name}.png` });
  else await shot(page, name);
}

export async function center(page: Page, selector: string) {
  const box = await page.locator(selector).boundingBox();
  if (!box) throw new Error(`${selector} is not visible`);
  return { x: box.x + box.width / 2, y: box.y + box.height / 2 };
}

/** Drags with the mouse from a selector's centre to a point, slowly enough for React Flow. */
export async function dragFrom(page: Page, selector: string, to: { x: number; y: number }) {
  const a = await center(page, selector);
  await page.mouse.move(a.x, a.y);
  await page.mouse.down();
  await page.mouse.move((a.x + to.x) / 2, (a.y + to.y) / 2, { steps: 5 });
  await page.mouse.move(to.x, to.y, { steps: 5 });
  await page.mouse.up();
}

/** Double-clicks empty canvas at (x, y), searches and picks the first hit. */
export async function addBySearch(page: Page, x: number, y: number, query: string) {
  await page.mouse.dblclick(x, y);
  const search = page.locator("[data-testid=node-search]");
  await search.waitFor({ timeout: 5000 }).catch(async (e: Error) => {
    await shot(page, `failed-search-${query.replace(/\W+/g, "-")}`);
    throw new Error(`no search popup after double-clicking (${x}, ${y}) for "${query}": ${e.message}`);
  });
  await search.getByLabel("Search nodes").fill(query);
  await page.keyboard.press("Enter");
  await search.waitFor({ state: "detached" });
}

export const nodeIds = (page: Page) =>
  page.$$eval(".react-flow__node", (els) => els.map((e) => e.getAttribute("data-id") ?? ""));
export const edgeCount = (page: Page) => page.locator(".react-flow__edge").count();

/** Pairs of node ids whose on-screen boxes overlap. */
export const overlaps = (page: Page) =>
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

/** Opens the editor on a fresh page load and waits until it is ready. */
export async function openEditor(page: Page, url: string) {
  await page.goto(url);
  await page.waitForSelector("[data-testid=editor][data-ready=true]");
}

/** Opens a graph through File ▸ Open JSON file (as a user would). */
export async function openGraphFile(page: Page, name: string, graph: unknown) {
  await page.setInputFiles("[data-testid=file-input]", {
    name,
    mimeType: "application/json",
    buffer: Buffer.from(JSON.stringify(graph)),
  });
  await page
    .locator("[data-testid=toast]", { hasText: `Opened ${name}` })
    .last()
    .waitFor();
}

/** tone → slow steps → Save Audio: a run that takes about steps × ms and ends with a player. */
export function slowGraph(steps = 6, ms = 100) {
  return {
    version: 1,
    nodes: {
      tone: { type: "audio.testTone", params: { seconds: 1 }, ui: { x: 0, y: 0 } },
      steps: {
        type: "e2e.steps",
        params: { steps, ms },
        inputs: { audio: { node: "tone", output: "audio" } },
        ui: { x: 320, y: 0 },
      },
      out: {
        type: "audio.save",
        params: { format: "wav" },
        inputs: { audio: { node: "steps", output: "audio" } },
        ui: { x: 640, y: 0 },
      },
    },
  };
}

export const runStatus = (page: Page) =>
  page
    .locator("[data-testid=run-status]")
    .getAttribute("data-status", { timeout: 1000 })
    .catch(() => null);
