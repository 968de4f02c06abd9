// The published package: `npm pack` (which builds dist/ through `prepare`), installed into a scratch project
// outside the repository, imported by plain Node (no TypeScript loader), running generateMusic on demo weights
// without and with the LM (whose worker thread is the bundle's second entry, dist/lm-worker.js).
// Long (build, install, tiny models): `npm run test:full`.
import { afterAll, describe, expect, it } from "vitest";
import { execFileSync } from "node:child_process";
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

const repo = join(import.meta.dirname, "..");
const scratch = mkdtempSync(join(tmpdir(), "acestep-pack-"));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

const npm = (args: string[], cwd: string) =>
  execFileSync("npm", args, {
    cwd,
    encoding: "utf8",
    env: { ...process.env, ONNXRUNTIME_NODE_INSTALL: "skip" },
    stdio: "pipe",
  });

/** better-sqlite3 compiles from source when no prebuilt binary can be fetched: reuse this checkout's build. */
function reuseNativeSqlite(project: string): void {
  const version = (dir: string) => JSON.parse(readFileSync(join(dir, "package.json"), "utf8")).version as string;
  const ours = join(repo, "node_modules", "better-sqlite3");
  const theirs = join(project, "node_modules", "better-sqlite3");
  const binary = join("build", "Release", "better_sqlite3.node");
  if (version(ours) === version(theirs) && existsSync(join(ours, binary))) {
    mkdirSync(join(theirs, "build", "Release"), { recursive: true });
    copyFileSync(join(ours, binary), join(theirs, binary));
  } else npm(["rebuild", "better-sqlite3"], project);
}

const script = `
import { buildGraph, closeDefaultApp, createSample, formatSample, generateMusic, understandMusic } from "acestep-studio";
import { RestFacade, restRoutes } from "acestep-studio/rest";
const noLm = { thinking: false, use_cot_metas: false, use_cot_caption: false, use_cot_language: false };
const r = await generateMusic({ ...noLm, caption: "plain node", inference_steps: 2, duration: 10 }, { batch_size: 1, audio_format: "wav" });
// the LM's code pass runs in the LM worker thread (dist/lm-worker.js beside the bundle)
const lm = await generateMusic(
  { ...noLm, thinking: true, caption: "plain node", bpm: 90, keyscale: "C major", timesignature: "4", inference_steps: 2, duration: 10 },
  { batch_size: 1, audio_format: "wav" },
);
const lmRun = { success: lm.success, error: lm.error, codes: (lm.audios[0]?.params.audioCodes ?? "").length > 0 };
const fns = [buildGraph, createSample, formatSample, understandMusic, restRoutes, RestFacade].map((f) => typeof f);
console.log(JSON.stringify({ success: r.success, error: r.error, file: r.audios[0]?.absolutePath, fns, lmRun }));
await closeDefaultApp();
`;

describe("the packed package in a scratch project", () => {
  it("installs from the tarball and runs generateMusic on demo weights with plain node", () => {
    const tarball = npm(["pack", "--pack-destination", scratch], repo).trim().split("\n").at(-1)!;
    writeFileSync(join(scratch, "package.json"), JSON.stringify({ name: "scratch", private: true, type: "module" }));
    npm(
      ["install", join(scratch, tarball), "--ignore-scripts", "--prefer-offline", "--no-audit", "--no-fund"],
      scratch,
    );
    reuseNativeSqlite(scratch);
    writeFileSync(join(scratch, "main.mjs"), script);
    const env: NodeJS.ProcessEnv = { ...process.env, ACESTEP_DATA: join(scratch, "data"), ACESTEP_THREADS: "2" };
    delete env.ACESTEP_DEMO_MODELS; // the installed package fabricates its own demo weights
    delete env.NODE_OPTIONS; // no loader from the test runner
    const out = execFileSync(process.execPath, ["main.mjs"], { cwd: scratch, env, encoding: "utf8" });
    const result = JSON.parse(out.trim().split("\n").at(-1)!);
    expect(result.error).toBeNull();
    expect(result.success).toBe(true);
    expect(result.file.startsWith(join(scratch, "data"))).toBe(true);
    expect(readFileSync(result.file).subarray(0, 4).toString()).toBe("RIFF");
    expect(result.fns).toEqual(["function", "function", "function", "function", "function", "function"]);
    expect(result.lmRun).toEqual({ success: true, error: null, codes: true });
  }, 1_800_000); // build, install and fabricating demo weights: up to half an hour on a loaded 2-core machine
});
