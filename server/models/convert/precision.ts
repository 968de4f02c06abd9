// Weight precision per component for `acestep models convert --dtype …`: parsing the option, what each
// component's converter can build, and the default per execution provider. The precisions themselves are
// defined in server/onnx/graph-core.ts (Precision); their measured error is in docs/precision.md.
import { COMPONENTS, type Component } from "../../checkpoints/layout";
import { PRECISIONS, type Precision } from "../../onnx/graph-core";

export type ComponentPrecisions = Record<Component, Precision>;

/**
 * What each converter builds. The VAE is convolutions only (no Linear layer for MatMulNBits) and computes in
 * fp32: its fp16/bf16 are storage formats. The transformers take every precision.
 */
export const SUPPORTED_PRECISIONS: Record<Component, readonly Precision[]> = {
  dit: PRECISIONS,
  lm: PRECISIONS,
  "text-encoder": PRECISIONS,
  vae: ["fp32", "fp16", "bf16"],
};

export type ProviderName = "cpu" | "cuda";

/**
 * Default precision per execution provider, chosen from the measurements in docs/precision.md (the fastest
 * setting within the quality bars: DiT final-latent relative RMSE ≤ 1 %, VAE SNR ≥ 40 dB, LM top-1 ≥ 99 %).
 * CPU: MatMulNBits int8 for the DiT (fastest, far inside its bar) and the bandwidth-bound LM decode; the text
 * encoder stays fp32 (no int8 kernel mix keeps it within 2 % at 28 layers); the VAE stores fp16 (55 dB, half the bytes; bf16 falls below 40 dB). CUDA: fp16 compute
 * for the transformers, VAE as on CPU.
 */
export const DEFAULT_PRECISIONS: Record<ProviderName, ComponentPrecisions> = {
  cpu: { dit: "int8", lm: "int8", "text-encoder": "fp32", vae: "fp16" },
  cuda: { dit: "fp16", lm: "fp16", "text-encoder": "fp16", vae: "fp16" },
};

/** Names accepted for a component on the command line (besides the canonical ones). */
const ALIASES: Record<string, Component> = {
  text: "text-encoder",
  text_encoder: "text-encoder",
  textEncoder: "text-encoder",
};

export class PrecisionError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "PrecisionError";
  }
}

function asPrecision(v: string, where: string): Precision {
  if ((PRECISIONS as readonly string[]).includes(v)) return v as Precision;
  throw new PrecisionError(`--dtype: ${where}"${v}" is not a precision (one of ${PRECISIONS.join(", ")})`);
}

/** Refuse a precision the component's converter cannot build, naming the ones it can. */
export function checkSupported(component: Component, p: Precision): void {
  const ok = SUPPORTED_PRECISIONS[component];
  if (!ok.includes(p)) {
    throw new PrecisionError(`--dtype: ${component} cannot be converted to ${p} (supported: ${ok.join(", ")})`);
  }
}

/**
 * `--dtype` value → precision per component. Forms: `int8` (every component), `dit=int8,lm=int4,vae=bf16`
 * (the rest from `base`), or both: `bf16,lm=int8` (a bare precision sets every component not named). A bare
 * precision that a component does not support (e.g. `int8` for the VAE) is refused unless that component is
 * named too.
 */
export function parseDtypeSpec(spec: string, base: ComponentPrecisions = DEFAULT_PRECISIONS.cpu): ComponentPrecisions {
  const out: ComponentPrecisions = { ...base };
  const named = new Set<Component>();
  let all: Precision | undefined;
  const parts = spec.split(",").map((s) => s.trim());
  if (parts.some((s) => s === "")) throw new PrecisionError(`--dtype: empty entry in "${spec}"`);
  for (const part of parts) {
    const eq = part.indexOf("=");
    if (eq < 0) {
      if (all !== undefined) throw new PrecisionError(`--dtype: more than one bare precision in "${spec}"`);
      all = asPrecision(part, "");
      continue;
    }
    const name = part.slice(0, eq).trim();
    const component = (COMPONENTS as readonly string[]).includes(name) ? (name as Component) : ALIASES[name];
    if (!component) throw new PrecisionError(`--dtype: unknown component "${name}" (one of ${COMPONENTS.join(", ")})`);
    if (named.has(component)) throw new PrecisionError(`--dtype: ${component} is given twice in "${spec}"`);
    named.add(component);
    out[component] = asPrecision(part.slice(eq + 1).trim(), `${component}=`);
  }
  if (all !== undefined) for (const c of COMPONENTS) if (!named.has(c)) out[c] = all;
  for (const c of COMPONENTS) checkSupported(c, out[c]);
  return out;
}

/** `dit=int8,lm=int8,…` (the inverse of parseDtypeSpec, for messages and `models list`). */
export function formatPrecisions(p: ComponentPrecisions): string {
  return COMPONENTS.map((c) => `${c}=${p[c]}`).join(",");
}
