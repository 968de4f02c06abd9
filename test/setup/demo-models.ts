// Vitest global setup: one converted tiny demo model set for every test file of a run, instead of each
// AppContext fabricating and converting its own (≈ 6 CPU-seconds each). The set is cached under
// node_modules/.cache/acestep-studio, keyed by a hash of the sources that write and convert it, and handed
// to the test processes through ACESTEP_DEMO_MODELS (read by server/config.ts).
import { createHash } from "node:crypto";
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  renameSync,
  rmSync,
  statSync,
  utimesSync,
} from "node:fs";
import { join, relative } from "node:path";
import { writeTinyCheckpoints } from "../../server/checkpoints";
import { convertCheckpoints } from "../../server/models/convert/convert";
import { MANIFEST_FILE } from "../../server/models/convert/manifest";
import { DEMO_CORE_FOLDERS } from "../../server/models/manager";
import { ensureDemoLora } from "../../server/models/lora/write";

const ROOT = join(import.meta.dirname, "..", "..");
/** Folders whose code decides the demo set's files: tiny checkpoints, converters, ONNX graph builders. */
const SOURCE_FOLDERS = ["server/checkpoints", "server/models", "server/onnx", "server/random"];
const CACHE = join(ROOT, "node_modules", ".cache", "acestep-studio");
const PREFIX = "demo-models-";
/** Sets for other sources are removed once unused this long (a run still going on older sources keeps its set). */
const STALE_MS = 6 * 3600 * 1000;

function sourceFiles(dir: string): string[] {
  const out: string[] = [];
  for (const name of readdirSync(dir).sort()) {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) out.push(...sourceFiles(p));
    else if (/\.(ts|mjs|json)$/.test(name) && !/\.test\.ts$/.test(name)) out.push(p);
  }
  return out;
}

/** A hash of every source file that shapes the demo set (a change there prepares a fresh set). */
export function demoSourceHash(): string {
  const h = createHash("sha256");
  for (const folder of SOURCE_FOLDERS)
    for (const f of sourceFiles(join(ROOT, folder))) h.update(`${relative(ROOT, f)}\n`).update(readFileSync(f));
  return h.digest("hex").slice(0, 16);
}

/** The cached demo set for the current sources, prepared now if missing. Returns its folder. */
export async function prepareDemoModels(): Promise<string> {
  const dir = join(CACHE, `${PREFIX}${demoSourceHash()}`);
  if (existsSync(join(dir, "models", MANIFEST_FILE))) {
    const now = new Date();
    utimesSync(dir, now, now); // marks the set as in use
    return dir;
  }
  mkdirSync(CACHE, { recursive: true });
  // Prepared aside and renamed into place, so a concurrent run never sees a half-written set.
  const scratch = mkdtempSync(join(CACHE, "preparing-"));
  try {
    writeTinyCheckpoints(join(scratch, "checkpoints"), { only: DEMO_CORE_FOLDERS });
    await convertCheckpoints({ from: join(scratch, "checkpoints"), to: join(scratch, "models"), demo: true });
    ensureDemoLora(join(scratch, "models"));
    for (const old of readdirSync(CACHE)) {
      const p = join(CACHE, old);
      if (old.startsWith(PREFIX) && Date.now() - statSync(p).mtimeMs > STALE_MS)
        rmSync(p, { recursive: true, force: true });
    }
    renameSync(scratch, dir);
  } catch (e) {
    rmSync(scratch, { recursive: true, force: true });
    if (!existsSync(join(dir, "models", MANIFEST_FILE))) throw e; // else another run finished it first
  }
  return dir;
}

export default async function setup(): Promise<void> {
  process.env.ACESTEP_DEMO_MODELS = await prepareDemoModels();
}
