// Reading LoRA adapters for the ACE-Step DiT decoder: the official PEFT folder (adapter_config.json +
// adapter_model.safetensors, written by `PeftModel.save_pretrained` in ace-step/ACE-Step-1.5
// acestep/training/lora_utils.py and loaded by `AceStepHandler.load_lora` in acestep/handler.py) or a single
// ComfyUI-style .safetensors file (lora_down/lora_up/alpha, keys.ts).
//
// Per target module the delta is ΔW = scaling · B · A with A [r, in] (lora_A / lora_down), B [out, r]
// (lora_B / lora_up) and scaling = alpha / r, or alpha / √r with rsLoRA (PEFT peft/tuners/lora/layer.py
// `LoraLayer.update_layer`). alpha, in order of precedence: a per-module scalar `.alpha` tensor (ComfyUI
// comfy/weight_adapter/lora.py; acestep.cpp src/lora-merge.h prefers it too), the config's `alpha_pattern`,
// its `lora_alpha`, else r (scaling 1, as ComfyUI does for a LoRA without alpha).
import { existsSync, readFileSync, statSync } from "node:fs";
import { basename, dirname, join } from "node:path";
import { openSafetensors } from "../../checkpoints";
import { ditLayout } from "../../checkpoints/layout";
import { LoraKeyError, parseLoraKey } from "./keys";

export const PEFT_CONFIG_FILE = "adapter_config.json";
export const PEFT_WEIGHTS_FILE = "adapter_model.safetensors";

export interface LoraModule {
  /** The DiT weight it patches, e.g. `decoder.layers.0.self_attn.q_proj.weight` ([out, in]). */
  target: string;
  /** Adapter key of A, used in error messages. */
  keyA: string;
  keyB: string;
  rank: number;
  inFeatures: number;
  outFeatures: number;
  alpha: number;
  /** alpha / r (alpha / √r with rsLoRA): ΔW = scaling · B · A at scale 1. */
  scaling: number;
  /** [rank, in], row-major, fp32. */
  a: Float32Array;
  /** [out, rank], row-major, fp32. */
  b: Float32Array;
}

export interface PeftSummary {
  r?: number;
  loraAlpha?: number;
  useRslora: boolean;
  targetModules?: string[] | string;
  baseModel?: string;
}

export interface LoraAdapter {
  /** What the user gave: the adapter folder or the .safetensors file. */
  path: string;
  weightsFile: string;
  format: "peft" | "comfyui";
  config: PeftSummary | null;
  /** Sorted by target. */
  modules: LoraModule[];
  /** Size and mtime of the files read, for caches. */
  fingerprint: string;
}

export class LoraFormatError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "LoraFormatError";
  }
}

interface RawConfig {
  peft_type?: string;
  r?: number;
  lora_alpha?: number;
  use_rslora?: boolean;
  use_dora?: boolean;
  alpha_pattern?: Record<string, number>;
  target_modules?: string[] | string;
  base_model_name_or_path?: string;
}

function readConfig(file: string): RawConfig {
  let raw: unknown;
  try {
    raw = JSON.parse(readFileSync(file, "utf8"));
  } catch (e) {
    throw new LoraFormatError(`LoRA ${file}: not valid JSON (${(e as Error).message})`);
  }
  if (!raw || typeof raw !== "object") throw new LoraFormatError(`LoRA ${file}: expected a JSON object`);
  const c = raw as RawConfig;
  if (c.peft_type !== undefined && c.peft_type !== "LORA") {
    throw new LoraFormatError(`LoRA ${file}: peft_type "${c.peft_type}" is not supported (only LORA)`);
  }
  if (c.use_dora) throw new LoraFormatError(`LoRA ${file}: DoRA adapters (use_dora: true) are not supported`);
  for (const f of ["r", "lora_alpha"] as const) {
    if (c[f] !== undefined && !(typeof c[f] === "number" && Number.isFinite(c[f]) && c[f] > 0)) {
      throw new LoraFormatError(`LoRA ${file}: field "${f}" must be a positive number, got ${JSON.stringify(c[f])}`);
    }
  }
  return c;
}

/** PEFT `get_pattern_key`: a pattern matches a module name when the name ends with it after a dot (or is it). */
function patternValue(patterns: Record<string, number> | undefined, module: string): number | undefined {
  if (!patterns) return undefined;
  for (const [p, v] of Object.entries(patterns)) {
    try {
      if (new RegExp(`^(?:.*\\.)?(?:${p})$`).test(module)) return v;
    } catch {
      if (module === p || module.endsWith(`.${p}`)) return v;
    }
  }
  return undefined;
}

function locate(path: string): { weightsFile: string; configFile: string | null; format: "peft" | "comfyui" } {
  if (!existsSync(path)) throw new LoraFormatError(`LoRA ${path}: no such file or folder`);
  if (statSync(path).isDirectory()) {
    const weightsFile = join(path, PEFT_WEIGHTS_FILE);
    if (!existsSync(weightsFile)) {
      const bin = existsSync(join(path, "adapter_model.bin"))
        ? " (adapter_model.bin is a pickle: re-save it with safetensors)"
        : "";
      throw new LoraFormatError(`LoRA ${path}: the folder has no ${PEFT_WEIGHTS_FILE}${bin}`);
    }
    const configFile = join(path, PEFT_CONFIG_FILE);
    if (!existsSync(configFile)) {
      throw new LoraFormatError(
        `LoRA ${path}: the folder has no ${PEFT_CONFIG_FILE} (PEFT adapters need it for r and lora_alpha)`,
      );
    }
    return { weightsFile, configFile, format: "peft" };
  }
  if (!path.endsWith(".safetensors")) {
    throw new LoraFormatError(`LoRA ${path}: expected a PEFT adapter folder or a .safetensors file`);
  }
  // acestep.cpp (src/lora-merge.h `lora_merge`) reads adapter_config.json next to a single file too.
  const sibling = join(dirname(path), PEFT_CONFIG_FILE);
  const configFile = basename(path) === PEFT_WEIGHTS_FILE && existsSync(sibling) ? sibling : null;
  return { weightsFile: path, configFile, format: configFile ? "peft" : "comfyui" };
}

/** Reads and checks an adapter (pairs complete, ranks consistent); throws naming the first bad key. */
export function readLoraAdapter(path: string): LoraAdapter {
  const { weightsFile, configFile, format } = locate(path);
  const cfg = configFile ? readConfig(configFile) : null;
  const st = openSafetensors(weightsFile);
  try {
    const parts = new Map<string, { A?: string; B?: string; alpha?: string }>();
    for (const key of st.keys()) {
      const { target, part } = parseLoraKey(key, weightsFile);
      const entry = parts.get(target) ?? {};
      if (entry[part])
        throw new LoraKeyError(key, `a second ${part} tensor for ${target} (first: ${entry[part]})`, weightsFile);
      entry[part] = key;
      parts.set(target, entry);
    }
    if (parts.size === 0) throw new LoraFormatError(`LoRA ${weightsFile}: no tensors`);
    const modules: LoraModule[] = [];
    for (const target of [...parts.keys()].sort()) {
      const p = parts.get(target)!;
      const named = p.A ?? p.B ?? p.alpha!;
      if (!p.A || !p.B) {
        throw new LoraKeyError(
          named,
          `has no matching ${p.A ? "lora_B/lora_up" : "lora_A/lora_down"} tensor`,
          weightsFile,
        );
      }
      const a = st.getFloat32(p.A);
      const b = st.getFloat32(p.B);
      if (a.shape.length !== 2)
        throw new LoraKeyError(p.A, `expected a 2-D [rank, in] matrix, got [${a.shape}]`, weightsFile);
      if (b.shape.length !== 2)
        throw new LoraKeyError(p.B, `expected a 2-D [out, rank] matrix, got [${b.shape}]`, weightsFile);
      const [rank, inFeatures] = a.shape;
      const [outFeatures, rankB] = b.shape;
      if (rank !== rankB || rank === 0) {
        throw new LoraKeyError(p.B, `rank ${rankB} does not match ${p.A} (rank ${rank})`, weightsFile);
      }
      const module = target.replace(/^decoder\./, "").replace(/\.weight$/, "");
      let alpha: number | undefined;
      if (p.alpha) {
        const t = st.getFloat32(p.alpha);
        if (t.data.length !== 1)
          throw new LoraKeyError(p.alpha, `expected a scalar, got shape [${t.shape}]`, weightsFile);
        alpha = t.data[0];
      }
      alpha ??= patternValue(cfg?.alpha_pattern, module) ?? cfg?.lora_alpha ?? rank;
      const scaling = cfg?.use_rslora ? alpha / Math.sqrt(rank) : alpha / rank;
      modules.push({
        target,
        keyA: p.A,
        keyB: p.B,
        rank,
        inFeatures,
        outFeatures,
        alpha,
        scaling,
        a: a.data,
        b: b.data,
      });
    }
    const files = [weightsFile, ...(configFile ? [configFile] : [])];
    const fingerprint = files
      .map((f) => {
        const s = statSync(f);
        return `${f}:${s.size}:${Math.floor(s.mtimeMs)}`;
      })
      .join("|");
    const config = cfg
      ? {
          r: cfg.r,
          loraAlpha: cfg.lora_alpha,
          useRslora: Boolean(cfg.use_rslora),
          targetModules: cfg.target_modules,
          baseModel: cfg.base_model_name_or_path,
        }
      : null;
    return { path, weightsFile, format, config, modules, fingerprint };
  } finally {
    st.close();
  }
}

/** Why an adapter does not fit a DiT config: the first module (by key) whose target is missing or mis-shaped. */
export function loraMismatch(adapter: LoraAdapter, ditConfig: unknown): string | null {
  const shapes = ditLayout(ditConfig).required;
  for (const m of adapter.modules) {
    const s = shapes.get(m.target);
    if (!s) return `key "${m.keyA}" targets ${m.target}, which this DiT does not have`;
    if (s.length !== 2) return `key "${m.keyA}" targets ${m.target} [${s}], which is not a Linear weight`;
    if (s[0] !== m.outFeatures || s[1] !== m.inFeatures) {
      return `key "${m.keyA}" is a [${m.outFeatures}, ${m.inFeatures}] delta but ${m.target} is [${s}]`;
    }
  }
  return null;
}

/** Throws LoraFormatError naming the first key that does not fit the DiT. */
export function assertLoraFits(adapter: LoraAdapter, ditConfig: unknown, ditName: string): void {
  const why = loraMismatch(adapter, ditConfig);
  if (why) throw new LoraFormatError(`LoRA ${adapter.path} does not fit the DiT "${ditName}": ${why}`);
}
