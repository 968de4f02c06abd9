// Session creation, cold, with and without ORT's optimized-model cache (server/runtime/ort-worker.mjs
// createWithCache): for each ONNX file of the chosen models, a fresh worker (what a new process gets) creates the
// session three times — cache off, cache empty (creates and saves the optimized graph), cache filled (a second
// cold process) — and prints the milliseconds. The page cache is warm for all three (the first pass reads the
// files), so the figures compare ORT's own work, not the disk.
//
//   npx tsx bench/session-create.ts [--models DIR] [--only NAME]… [--role ROLE]… [--threads N] [--fabricate turbo,…]
//
// Without --models it fabricates full-size checkpoints of --fabricate (default: turbo, the DiT) once under
// ~/.cache/acestep-bench/session-create and converts them (fp32). Run under `flock /work/heavy.lock` on a shared
// machine: the full DiT is 9.6 GB of fp32 ONNX and the cache writes as much again.
import { existsSync, mkdtempSync, readdirSync, rmSync, statSync, writeFileSync } from "node:fs";
import { homedir, tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { parseArgs } from "node:util";
import { fabricateCheckpoints } from "../server/checkpoints";
import { convertCheckpoints } from "../server/models/convert/convert";
import { readManifest } from "../server/models/convert/manifest";
import { createSessionHost, type LoadOptions } from "../server/runtime";

const { values } = parseArgs({
  options: {
    models: { type: "string" },
    only: { type: "string", multiple: true },
    role: { type: "string", multiple: true },
    threads: { type: "string", default: "2" },
    fabricate: { type: "string", default: "turbo" },
  },
});
const threads = Number(values.threads);
let modelsDir = values.models ? resolve(values.models) : "";
if (!modelsDir) {
  const root = join(homedir(), ".cache", "acestep-bench", "session-create");
  const ck = join(root, "checkpoints");
  modelsDir = join(root, "models");
  const components = values.fabricate!.split(",");
  const marker = join(ck, `.fabricated-${components.join("+")}`);
  if (!existsSync(marker)) {
    console.log(`fabricating full-size ${components.join(", ")} into ${ck} …`);
    fabricateCheckpoints(ck, { size: "full", components: components as never });
    writeFileSync(marker, "");
  }
  if (!existsSync(join(modelsDir, "manifest.json"))) {
    console.log(`converting into ${modelsDir} (fp32) …`);
    await convertCheckpoints({ from: ck, to: modelsDir, demo: true });
  }
}
const manifest = readManifest(modelsDir);
if (!manifest) throw new Error(`no converted models in ${modelsDir}`);

const cacheDir = mkdtempSync(join(tmpdir(), "acestep-ortcache-bench-"));
async function create(path: string, options: LoadOptions): Promise<{ ms: number; cache?: string }> {
  const host = createSessionHost({ threads, executionProvider: "cpu", logger: () => {} });
  try {
    const s = await host.load("m", path, options);
    return { ms: s.createMs ?? NaN, cache: s.optimizedCache };
  } finally {
    await host.close();
  }
}

const rows: string[] = [];
const totals = { off: 0, saved: 0, hit: 0 };
for (const entry of Object.values(manifest.entries)) {
  if (values.only?.length && !values.only.includes(entry.name)) continue;
  for (const f of entry.files) {
    if (!f.path.endsWith(".onnx") || (values.role?.length && !values.role.includes(f.role))) continue;
    const path = join(modelsDir, f.path);
    const key = `${entry.name}.${f.role}.${f.sha256.slice(0, 16)}`;
    const off = await create(path, {});
    const saved = await create(path, { optimizedCache: { dir: cacheDir, key } });
    const hit = await create(path, { optimizedCache: { dir: cacheDir, key } });
    totals.off += off.ms;
    totals.saved += saved.ms;
    totals.hit += hit.ms;
    const gb = (
      entry.files.filter((x) => x.role === f.role || x.role === `${f.role}_data`).reduce((a, x) => a + x.bytes, 0) / 1e9
    ).toFixed(2);
    rows.push(
      `${`${entry.name}/${f.role}`.padEnd(40)} ${gb.padStart(6)} GB  off ${off.ms.toFixed(0).padStart(6)} ms  first (saves) ${saved.ms.toFixed(0).padStart(6)} ms [${saved.cache}]  second ${hit.ms.toFixed(0).padStart(6)} ms [${hit.cache}]`,
    );
    console.log(rows.at(-1));
  }
}
console.log(
  `\ntotal: off ${totals.off.toFixed(0)} ms, first (saves) ${totals.saved.toFixed(0)} ms, second (from the cache) ${totals.hit.toFixed(0)} ms; ${threads} threads, models ${modelsDir}`,
);
const cacheBytes = readdirSync(cacheDir).reduce((a, f) => a + statSync(join(cacheDir, f)).size, 0);
console.log(`optimized-model cache: ${(cacheBytes / 1e9).toFixed(2)} GB on disk`);
rmSync(cacheDir, { recursive: true, force: true });
