// LoRA benchmark (issue 16): `npm run bench:lora -- [--layers 2] [--frames 500] [--rank 64] [--threads 2] [--reps 3]`.
// Real width (hidden 2048, 16/8 heads × 128, MLP 6144) at reduced depth (--layers, default 2; the official DiT
// has 24), random fp32 weights written as a converted DiT folder (dit_step / dit_cross_kv with external data)
// and run through the ModelManager + DitRunner like a generation. A rank-64 PEFT adapter on the official targets
// (q/k/v/o of self- and cross-attention). Prints: attach (read adapter, patch + write graph, session creation),
// scale switch, detach, and the per-step time of the base graph, the patched graph with the adapter attached,
// and the base graph built from merged weights (W + scale·alpha/r·B·A, the cost a merge-at-load design has).
// The machine is shared: figures are best-of-N wall times and noisy under load.
import { mkdirSync, mkdtempSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { OFFICIAL_DIT_TURBO_CONFIG } from "../server/checkpoints/layout/official-configs";
import { ditLayout } from "../server/checkpoints/layout/dit";
import { buildDitCrossKv, buildDitStep, ditConfigFromJson } from "../server/models/dit";
import { MemoryWeights, writeModel, type Weights } from "../server/onnx";
import { ModelManager } from "../server/models/manager";
import { writeManifest, type ManifestEntry } from "../server/models/convert/manifest";
import { DitRunner } from "../server/pipeline/dit-runner";
import { readLoraAdapter } from "../server/models/lora/adapter";
import { linearSites, modelBytes, patchLinearsWithLora, readModelProto } from "../server/models/lora/graph-patch";
import { randomLoraFactors, writePeftAdapter } from "../server/models/lora/write";
import { createRng } from "../server/checkpoints/tiny";

const args = process.argv.slice(2);
const opt = (name: string, dflt: string) => {
  const i = args.indexOf(name);
  return i >= 0 ? Number(args[i + 1]) : Number(dflt);
};
const LAYERS = opt("--layers", "2");
const T = opt("--frames", "500");
const RANK = opt("--rank", "64");
const THREADS = opt("--threads", "2");
const LE = 300;
const REPS = opt("--reps", "3");

const config = {
  ...OFFICIAL_DIT_TURBO_CONFIG,
  num_hidden_layers: LAYERS,
  layer_types: OFFICIAL_DIT_TURBO_CONFIG.layer_types.slice(0, LAYERS),
};
const cfg = ditConfigFromJson(config);
const dir = mkdtempSync(join(tmpdir(), "acestep-bench-lora-"));
const ms = (t0: number) => performance.now() - t0;
const fmt = (x: number) => `${x.toFixed(0).padStart(7)} ms`;

function randomDecoderWeights(): MemoryWeights {
  const w = new MemoryWeights();
  const rng = createRng(1);
  for (const [key, shape] of ditLayout(config).required) {
    if (!key.startsWith("decoder.")) continue;
    const n = shape.reduce((a, b) => a * b, 1);
    const std = key.endsWith("norm.weight") ? 0 : 1 / Math.sqrt(shape[shape.length - 1]);
    const data = rng.fillNormal(new Float32Array(n), std, key.endsWith("norm.weight") ? 1 : 0);
    w.set(key, { shape, data });
  }
  return w;
}

/** A converted-DiT folder with only the decoder graphs, registered in a manifest. */
function writeDit(name: string, w: Weights): ManifestEntry {
  const out = join(dir, "models", name);
  mkdirSync(out, { recursive: true });
  const files: ManifestEntry["files"] = [];
  for (const [role, build] of [
    ["dit_step", () => buildDitStep(w, cfg)],
    ["dit_cross_kv", () => buildDitCrossKv(w, cfg)],
  ] as const) {
    const r = writeModel(build(), join(out, `${role}.onnx`), { externalData: "always" });
    files.push({ path: `${name}/${role}.onnx`, sha256: `${name}-${role}`, bytes: statSync(r.model).size, role });
    if (r.data)
      files.push({
        path: `${name}/${role}.onnx.data`,
        sha256: `${name}-${role}-data`,
        bytes: statSync(r.data).size,
        role: `${role}_data`,
      });
  }
  return { name, component: "dit", dtype: "fp32", config, files, sourceFingerprint: name, convertedAt: Date.now() };
}

async function main() {
  console.log(
    `LoRA bench: real width, ${LAYERS} layer(s), T = ${T} frames, Le = ${LE}, rank ${RANK}, ${THREADS} threads (shared machine: noisy)`,
  );
  const base = randomDecoderWeights();
  const adapterDir = join(dir, "adapter");
  const factors = randomLoraFactors(config, { rank: RANK, seed: 3, std: 0.02 });
  writePeftAdapter(adapterDir, factors, { r: RANK, alpha: 2 * RANK, dtype: "BF16" });
  const adapterBytes = statSync(join(adapterDir, "adapter_model.safetensors")).size;
  const adapter = readLoraAdapter(adapterDir);

  // merged copy: W + scale·(alpha/r)·B·A in TS (what a merge-at-load design pays per attach)
  let t0 = performance.now();
  const mergedW = new MemoryWeights([...base.keys()].map((k) => [k, base.get(k)]));
  for (const m of adapter.modules) {
    const w = Float32Array.from(base.get(m.target).data);
    for (let o = 0; o < m.outFeatures; o++) {
      for (let k = 0; k < m.rank; k++) {
        const c = m.scaling * m.b[o * m.rank + k];
        const row = o * m.inFeatures;
        const arow = k * m.inFeatures;
        for (let i = 0; i < m.inFeatures; i++) w[row + i] += c * m.a[arow + i];
      }
    }
    mergedW.set(m.target, { shape: base.get(m.target).shape, data: w });
  }
  const mergeMs = ms(t0);

  const entries = { base: writeDit("bench-base", base), merged: writeDit("bench-merged", mergedW) };
  writeManifest(join(dir, "models"), {
    version: 1,
    demo: true,
    entries: { [entries.base.name]: entries.base, [entries.merged.name]: entries.merged },
  });
  const mm = new ModelManager({ modelsDir: join(dir, "models"), dataDir: join(dir, "data"), threads: THREADS });
  await mm.ready();

  const g = createRng(9);
  const enc = g.fillNormal(new Float32Array(LE * cfg.hidden_size), 1);
  const x = g.fillNormal(new Float32Array(T * 64), 1);
  const ctx = g.fillNormal(new Float32Array(T * 128), 1);
  const step = async (runner: DitRunner) => {
    const kv = await runner.crossKv(enc, 1, LE);
    const s0 = performance.now();
    await runner.step(x, 1, T, 0.5, ctx, kv);
    return ms(s0);
  };

  const baseRunner = new DitRunner(mm, entries.base);
  t0 = performance.now();
  await step(baseRunner);
  const baseLoad = ms(t0);

  // attach: read the adapter, patch and write the graphs, create the sessions, build the feeds, first step
  t0 = performance.now();
  readLoraAdapter(adapterDir);
  const readMs = ms(t0);
  const stepPath = join(dir, "models", "bench-base", "dit_step.onnx");
  t0 = performance.now();
  const proto = readModelProto(stepPath);
  const keys = [...linearSites(proto).keys()].filter((k) => adapter.modules.some((m) => m.target === k));
  const patchedBytes = modelBytes(patchLinearsWithLora(proto, keys)).byteLength;
  const patchMs = ms(t0);
  t0 = performance.now();
  const attached = new DitRunner(mm, entries.base, [{ path: adapterDir, scale: 1 }]);
  const firstAttached = await step(attached);
  const attachMs = ms(t0);

  t0 = performance.now();
  const rescaled = new DitRunner(mm, entries.base, [{ path: adapterDir, scale: 0.5 }]);
  const firstRescaled = await step(rescaled);
  const switchMs = ms(t0);

  t0 = performance.now();
  await step(new DitRunner(mm, entries.base));
  const detachMs = ms(t0);

  const mergedRunner = new DitRunner(mm, entries.merged);
  t0 = performance.now();
  await step(mergedRunner);
  const mergedLoad = ms(t0);
  // steady state, interleaved rounds (the machine is shared: best of REPS per variant)
  let baseStep = Infinity,
    attachedStep = Infinity,
    mergedStep = Infinity;
  for (let i = 0; i < REPS; i++) {
    baseStep = Math.min(baseStep, await step(baseRunner));
    attachedStep = Math.min(attachedStep, await step(attached));
    mergedStep = Math.min(mergedStep, await step(mergedRunner));
  }
  await mm.close();

  const feedMb =
    adapter.modules
      .filter((m) => keys.includes(m.target))
      .reduce((s, m) => s + 4 * m.rank * (m.inFeatures + m.outFeatures), 0) / 1e6;
  console.log(
    `adapter: ${adapter.modules.length} modules, ${(adapterBytes / 1e6).toFixed(1)} MB bf16; step-graph LoRA feeds ${feedMb.toFixed(1)} MB per step`,
  );
  console.log(`read adapter                          ${fmt(readMs)}`);
  console.log(
    `patch dit_step graph (in memory)      ${fmt(patchMs)}  (${(patchedBytes / 1e3).toFixed(0)} kB proto, weights stay external)`,
  );
  console.log(
    `attach (new runner → first step done) ${fmt(attachMs)}  (first step ${firstAttached.toFixed(0)} ms incl. patch, write, sessions)`,
  );
  console.log(
    `switch scale 1 → 0.5 (first step)     ${fmt(switchMs)}  (step ${firstRescaled.toFixed(0)} ms, cached session)`,
  );
  console.log(`detach (base runner, first step)      ${fmt(detachMs)}`);
  console.log(
    `merge W + c·B·A in TS (all modules)   ${fmt(mergeMs)}  (merge-at-load would also rebuild both sessions: ${mergedLoad.toFixed(0)} ms here)`,
  );
  console.log(`base session load + first step        ${fmt(baseLoad)}`);
  console.log(`step: base                            ${fmt(baseStep)}`);
  console.log(
    `step: adapter attached (patched)      ${fmt(attachedStep)}  (${(((attachedStep - baseStep) / baseStep) * 100).toFixed(1)} % over base)`,
  );
  console.log(`step: adapter merged                  ${fmt(mergedStep)}`);
  rmSync(dir, { recursive: true, force: true });
}

main().catch((e) => {
  rmSync(dir, { recursive: true, force: true });
  console.error(e);
  process.exit(1);
});
