// End-to-end harness: builds the editor when its sources changed, starts the studio
// (test/e2e/serve.ts) in its own process group on a free port with a fresh data folder,
// and launches Debian's chromium through playwright-core (headless, no sandbox, no GPU, no background networking).
import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import type { Browser } from "playwright-core";

export const ROOT = join(dirname(fileURLToPath(import.meta.url)), "..", "..");
export const SHOTS = join(ROOT, "test-output", "e2e");
export const CHROMIUM = process.env.CHROMIUM_PATH ?? "/usr/bin/chromium";
export const CHROMIUM_ARGS = [
  "--headless",
  "--no-sandbox",
  "--disable-gpu",
  "--disable-quic",
  "--no-first-run",
  "--disable-background-networking",
  "--disable-component-update",
  "--disable-sync",
];

import { needsBuild } from "../../server/cli/editor-build";
export { needsBuild };

export function ensureBuild(): void {
  if (!needsBuild()) return;
  const r = spawnSync(process.execPath, [join(ROOT, "node_modules/next/dist/bin/next"), "build"], {
    cwd: ROOT,
    stdio: "pipe",
    env: { ...process.env, NEXT_TELEMETRY_DISABLED: "1" },
  });
  if (r.status !== 0) throw new Error(`next build failed:\n${r.stdout}\n${r.stderr}`);
}

export interface Studio {
  url: string;
  dataDir: string;
  /** What the server printed so far (also written to test-output/e2e/server.log on close). */
  log(): string;
  close(): Promise<void>;
}

/** Starts the studio with a fresh data folder; resolves once it serves. */
export async function startStudio(): Promise<Studio> {
  const dataDir = mkdtempSync(join(tmpdir(), "acestep-e2e-"));
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    ACESTEP_DATA: dataDir,
    NEXT_TELEMETRY_DISABLED: "1",
    ACESTEP_THREADS: "1",
  };
  delete env.ACESTEP_MODELS;
  delete env.ACESTEP_API_TOKEN;
  delete env.PORT;
  // detached: its own process group, so closing kills next's workers too.
  const child: ChildProcess = spawn(process.execPath, ["--import", "tsx", join(ROOT, "test/e2e/serve.ts")], {
    cwd: ROOT,
    env,
    detached: true,
    stdio: ["ignore", "pipe", "pipe"],
  });
  let log = "";
  child.stdout!.on("data", (b: Buffer) => (log += b.toString()));
  child.stderr!.on("data", (b: Buffer) => (log += b.toString()));
  const url = await new Promise<string>((resolve, reject) => {
    const t = setTimeout(() => reject(new Error(`the studio did not start in 60 s:\n${log}`)), 60_000);
    const check = () => {
      const m = /listening (http:\/\/\S+)/.exec(log);
      if (m) {
        clearTimeout(t);
        child.stdout!.off("data", check);
        resolve(m[1]);
      }
    };
    child.stdout!.on("data", check);
    child.once("exit", (code) => {
      clearTimeout(t);
      reject(new Error(`the studio exited (${code}):\n${log}`));
    });
  });
  return {
    url,
    dataDir,
    log: () => log,
    async close() {
      mkdirSync(SHOTS, { recursive: true });
      writeFileSync(join(SHOTS, "server.log"), log);
      const exited = new Promise((r) => child.once("exit", r));
      try {
        process.kill(-child.pid!, "SIGTERM");
      } catch {
        /* already gone */
      }
      await Promise.race([exited, new Promise((r) => setTimeout(r, 5000))]);
      try {
        process.kill(-child.pid!, "SIGKILL");
      } catch {
        /* gone */
      }
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

/** Chromium through playwright-core, or the reason it is unavailable. */
export async function launchBrowser(): Promise<Browser | string> {
  if (!existsSync(CHROMIUM)) return `chromium is not installed at ${CHROMIUM} (apt-get install -y chromium)`;
  const { chromium } = await import("playwright-core");
  mkdirSync(SHOTS, { recursive: true });
  return chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS });
}
