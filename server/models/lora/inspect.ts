// `acestep models lora inspect`: what an adapter file holds (format, ranks, alpha, targets) and which DiTs it
// fits — the ACE-Step 1.5 2B DiT config, the tiny demo DiT, and every DiT converted in a models folder.
import { OFFICIAL_DIT_TURBO_CONFIG, TINY_DIT_TURBO_CONFIG } from "../../checkpoints";
import { readManifest } from "../convert/manifest";
import { loraMismatch, readLoraAdapter, type LoraAdapter } from "./adapter";

export interface LoraReport {
  path: string;
  weightsFile: string;
  format: "peft" | "comfyui";
  modules: number;
  ranks: number[];
  alphas: number[];
  scalings: number[];
  rslora: boolean;
  /** Module kinds touched (q_proj, …) with the layers they appear in. */
  targets: { kind: string; layers: number[] }[];
  fits: { dit: string; ok: boolean; why?: string }[];
}

const uniq = (xs: number[]) => [...new Set(xs)].sort((a, b) => a - b);

function targetsOf(a: LoraAdapter): LoraReport["targets"] {
  const kinds = new Map<string, Set<number>>();
  for (const m of a.modules) {
    const mm = m.target.match(/^decoder\.layers\.(\d+)\.(.+)\.weight$/);
    const kind = mm ? mm[2] : m.target.replace(/^decoder\./, "").replace(/\.weight$/, "");
    const set = kinds.get(kind) ?? new Set<number>();
    if (mm) set.add(Number(mm[1]));
    kinds.set(kind, set);
  }
  return [...kinds]
    .sort(([x], [y]) => x.localeCompare(y))
    .map(([kind, layers]) => ({ kind, layers: uniq([...layers]) }));
}

export function inspectLora(path: string, modelsDir?: string): LoraReport {
  const a = readLoraAdapter(path);
  const candidates: Array<[string, unknown]> = [
    ["ACE-Step 1.5 2B DiT (turbo/base/sft)", OFFICIAL_DIT_TURBO_CONFIG],
    ["tiny demo DiT", TINY_DIT_TURBO_CONFIG],
  ];
  const manifest = modelsDir ? readManifest(modelsDir) : null;
  for (const e of Object.values(manifest?.entries ?? {})) {
    if (e.component === "dit") candidates.push([`${e.name} (${modelsDir})`, e.config]);
  }
  const fits = candidates.map(([dit, cfg]) => {
    const why = loraMismatch(a, cfg);
    return why ? { dit, ok: false, why } : { dit, ok: true };
  });
  return {
    path,
    weightsFile: a.weightsFile,
    format: a.format,
    modules: a.modules.length,
    ranks: uniq(a.modules.map((m) => m.rank)),
    alphas: uniq(a.modules.map((m) => m.alpha)),
    scalings: uniq(a.modules.map((m) => m.scaling)),
    rslora: a.config?.useRslora ?? false,
    targets: targetsOf(a),
    fits,
  };
}

const ranges = (xs: number[]) => {
  const out: string[] = [];
  for (let i = 0; i < xs.length; i++) {
    let j = i;
    while (j + 1 < xs.length && xs[j + 1] === xs[j] + 1) j++;
    out.push(i === j ? `${xs[i]}` : `${xs[i]}–${xs[j]}`);
    i = j;
  }
  return out.join(",");
};

export function formatLoraReport(r: LoraReport): string {
  const fmt =
    r.format === "peft"
      ? "PEFT (adapter_config.json + adapter_model.safetensors)"
      : "single .safetensors (ComfyUI-style keys)";
  const scalings = r.scalings.map((s) => +s.toPrecision(6)).join(", ");
  const lines = [
    `file:     ${r.weightsFile}`,
    `format:   ${fmt}`,
    `modules:  ${r.modules}`,
    `rank:     ${r.ranks.join(", ")}`,
    `alpha:    ${r.alphas.join(", ")}  (scaling ${r.rslora ? "alpha/√r" : "alpha/r"} = ${scalings})`,
    `targets:  ${r.targets.map((t) => (t.layers.length ? `${t.kind} [layers ${ranges(t.layers)}]` : t.kind)).join("; ")}`,
    "fits:",
    ...r.fits.map((f) => `  ${f.ok ? "yes" : "no "}  ${f.dit}${f.why ? `: ${f.why}` : ""}`),
  ];
  return lines.join("\n");
}
