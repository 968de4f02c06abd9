// `acestep models convert`: official checkpoint folders → ONNX files + manifest. Checks every
// tensor against config.json first, skips components whose sources and converter are
// unchanged, and refuses mismatched, truncated or missing files with an error naming them.
import { createHash } from "node:crypto";
import { createReadStream, existsSync, mkdirSync, readdirSync, readFileSync, rmSync, statSync } from "node:fs";
import { join, relative } from "node:path";
import { openCheckpointWeights, validateCheckpointDir, formatValidationReport } from "../../checkpoints";
import { CONVERTERS, type ComponentConverter } from "./converters";
import { MANIFEST_VERSION, readManifest, writeManifest, type Manifest, type ManifestEntry } from "./manifest";
import { COMPONENTS } from "../../checkpoints/layout";
import type { Precision } from "../../onnx/graph-core";
import {
  checkSupported,
  DEFAULT_PRECISIONS,
  PrecisionError,
  type ComponentPrecisions,
  type ProviderName,
} from "./precision";

export class ConvertError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "ConvertError";
  }
}

export interface ConvertOptions {
  from: string;
  to: string;
  /**
   * Weight precision: one for every component, or per component (see ./precision.ts parseDtypeSpec); components
   * not given take the default of `provider`. Demo (tiny random) checkpoints default to fp32.
   */
  dtype?: Precision | Partial<ComponentPrecisions>;
  /** execution provider whose default precisions apply (default "cpu") */
  provider?: ProviderName;
  /** Only these folder names (default: every recognised folder). */
  only?: string[];
  demo?: boolean;
  force?: boolean;
  onProgress?: (e: { folder: string; index: number; total: number; message: string; skipped?: boolean }) => void;
}

export interface ConvertResult {
  converted: string[];
  skipped: string[];
  manifest: Manifest;
}

/** Folders under `from` that a converter recognises. */
export function findSources(from: string): Array<{ name: string; converter: ComponentConverter }> {
  if (!existsSync(from) || !statSync(from).isDirectory())
    throw new ConvertError(`checkpoint folder "${from}" does not exist`);
  const out: Array<{ name: string; converter: ComponentConverter }> = [];
  for (const name of readdirSync(from).sort()) {
    if (!statSync(join(from, name)).isDirectory()) continue;
    const converter = CONVERTERS.find((c) => c.matches(name));
    if (converter) out.push({ name, converter });
  }
  return out;
}

function fingerprint(dir: string, converter: ComponentConverter, dtype: string): string {
  const h = createHash("sha256").update(`${converter.component}:${converter.version}:${dtype}\n`);
  for (const f of readdirSync(dir).sort()) {
    const st = statSync(join(dir, f));
    if (st.isFile()) h.update(`${f}:${st.size}:${Math.floor(st.mtimeMs)}\n`);
  }
  return h.digest("hex");
}

async function sha256File(path: string): Promise<string> {
  const h = createHash("sha256");
  for await (const c of createReadStream(path)) h.update(c as Buffer);
  return h.digest("hex");
}

function upToDate(entry: ManifestEntry | undefined, fp: string, to: string): boolean {
  return (
    !!entry &&
    entry.sourceFingerprint === fp &&
    entry.files.every((f) => existsSync(join(to, f.path)) && statSync(join(to, f.path)).size === f.bytes)
  );
}

/** The precision of every component for these options (throws ConvertError for an unsupported one). */
export function resolvePrecisions(opts: Pick<ConvertOptions, "dtype" | "provider" | "demo">): ComponentPrecisions {
  const base: ComponentPrecisions = opts.demo
    ? { dit: "fp32", lm: "fp32", "text-encoder": "fp32", vae: "fp32" }
    : DEFAULT_PRECISIONS[opts.provider ?? "cpu"];
  const given =
    typeof opts.dtype === "string" ? Object.fromEntries(COMPONENTS.map((c) => [c, opts.dtype])) : (opts.dtype ?? {});
  const out = { ...base, ...given } as ComponentPrecisions;
  try {
    for (const c of COMPONENTS) checkSupported(c, out[c]);
  } catch (e) {
    if (e instanceof PrecisionError) throw new ConvertError(e.message);
    throw e;
  }
  return out;
}

export async function convertCheckpoints(opts: ConvertOptions): Promise<ConvertResult> {
  const precisions = resolvePrecisions(opts);
  let sources = findSources(opts.from);
  if (opts.only?.length) {
    const missing = opts.only.filter((o) => !sources.some((s) => s.name === o));
    if (missing.length)
      throw new ConvertError(
        `no convertible folder named ${missing.map((m) => `"${m}"`).join(", ")} in "${opts.from}"`,
      );
    sources = sources.filter((s) => opts.only!.includes(s.name));
  }
  if (sources.length === 0)
    throw new ConvertError(
      `no ACE-Step checkpoint folders found in "${opts.from}" (expected e.g. acestep-v15-turbo/, vae/, Qwen3-Embedding-0.6B/, acestep-5Hz-lm-0.6B/)`,
    );
  mkdirSync(opts.to, { recursive: true });
  const manifest: Manifest = readManifest(opts.to) ?? {
    version: MANIFEST_VERSION,
    demo: opts.demo ?? false,
    entries: {},
  };
  manifest.demo = opts.demo ?? false;
  const result: ConvertResult = { converted: [], skipped: [], manifest };

  for (const [index, { name, converter }] of sources.entries()) {
    const srcDir = join(opts.from, name);
    const report = (message: string, skipped?: boolean) =>
      opts.onProgress?.({ folder: name, index, total: sources.length, message, skipped });
    const dtype = precisions[converter.component];
    const fp = fingerprint(srcDir, converter, dtype);
    if (!opts.force && upToDate(manifest.entries[name], fp, opts.to)) {
      report("unchanged, skipped", true);
      result.skipped.push(name);
      continue;
    }
    report("checking tensors against config.json");
    const v = validateCheckpointDir(srcDir, converter.component);
    if (!v.ok)
      throw new ConvertError(`${name}: the checkpoint does not match its config.json:\n${formatValidationReport(v)}`);
    const config = JSON.parse(readFileSync(join(srcDir, "config.json"), "utf8")) as Record<string, unknown>;
    const outDir = join(opts.to, name);
    rmSync(outDir, { recursive: true, force: true });
    const weights = openCheckpointWeights(srcDir);
    let produced;
    try {
      produced = await converter.convert({ srcDir, outDir, config, weights, dtype, progress: (m) => report(m) });
    } catch (e) {
      rmSync(outDir, { recursive: true, force: true });
      throw new ConvertError(`${name}: conversion failed: ${(e as Error).message}`);
    } finally {
      weights.close();
    }
    report("hashing outputs");
    const files = [];
    for (const p of produced) {
      const abs = join(outDir, p.file);
      files.push({
        path: relative(opts.to, abs).split("\\").join("/"),
        sha256: await sha256File(abs),
        bytes: statSync(abs).size,
        role: p.role,
        inputs: p.inputs,
        outputs: p.outputs,
        tensor: p.tensor,
      });
      if (existsSync(`${abs}.data`))
        files.push({
          path: relative(opts.to, `${abs}.data`).split("\\").join("/"),
          sha256: await sha256File(`${abs}.data`),
          bytes: statSync(`${abs}.data`).size,
          role: `${p.role}_data`,
        });
    }
    manifest.entries[name] = {
      name,
      component: converter.component,
      dtype,
      config,
      files,
      sourceFingerprint: fp,
      convertedAt: Date.now(),
    };
    writeManifest(opts.to, manifest);
    result.converted.push(name);
    report("done");
  }
  writeManifest(opts.to, manifest);
  return result;
}
