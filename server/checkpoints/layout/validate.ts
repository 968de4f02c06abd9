// Checks a checkpoint folder against the layout its own config.json implies:
// collects every missing key, unexpected key, shape mismatch and missing
// side file (silence_latent.pt, tokenizer files) instead of stopping at the first.
import fs from "node:fs";
import path from "node:path";
import { readTorchTensor } from "../torch-pt";
import { type CheckpointWeights, openCheckpointWeights } from "../weights";
import { type Component, expectedLayout } from "./components";

export type IssueCode =
  "bad-config" | "missing-weights" | "missing-key" | "unexpected-key" | "shape-mismatch" | "missing-file" | "bad-file";

export interface ValidationIssue {
  code: IssueCode;
  message: string;
  key?: string;
  file?: string;
  expected?: number[];
  actual?: number[];
}

export interface ValidationReport {
  dir: string;
  component: Component;
  ok: boolean;
  issues: ValidationIssue[];
}

const SIDE_FILES: Record<Component, string[]> = {
  dit: ["silence_latent.pt"],
  vae: [],
  "text-encoder": ["tokenizer.json", "tokenizer_config.json"],
  lm: ["tokenizer.json", "tokenizer_config.json"],
};

export function validateCheckpointDir(dir: string, component: Component): ValidationReport {
  const issues: ValidationIssue[] = [];
  const report = (): ValidationReport => ({ dir, component, ok: issues.length === 0, issues });
  const configFile = path.join(dir, "config.json");
  let config: unknown;
  try {
    config = JSON.parse(fs.readFileSync(configFile, "utf8"));
  } catch (e) {
    issues.push({
      code: "bad-config",
      file: configFile,
      message: `${component}: cannot read ${configFile}: ${(e as Error).message}`,
    });
    return report();
  }
  let weights: CheckpointWeights;
  try {
    weights = openCheckpointWeights(dir);
  } catch (e) {
    issues.push({ code: "missing-weights", file: dir, message: (e as Error).message });
    return report();
  }
  try {
    const lmPrefix =
      component === "lm" && !weights.has("model.embed_tokens.weight") && weights.has("embed_tokens.weight")
        ? ""
        : undefined;
    let layout;
    try {
      layout = expectedLayout(component, config, { lmPrefix });
    } catch (e) {
      issues.push({ code: "bad-config", file: configFile, message: (e as Error).message });
      return report();
    }
    const where = path.basename(weights.source);
    for (const [key, shape] of layout.required) {
      if (!weights.has(key))
        issues.push({
          code: "missing-key",
          key,
          file: weights.source,
          expected: shape,
          message: `${component}: tensor ${key} ${fmt(shape)} missing from ${where}`,
        });
    }
    for (const key of weights.keys()) {
      const info = weights.info(key);
      const want = layout.required.get(key) ?? layout.optional.get(key);
      if (!want) {
        issues.push({
          code: "unexpected-key",
          key,
          file: info.file,
          actual: info.shape,
          message: `${component}: unexpected tensor ${key} ${fmt(info.shape)} in ${path.basename(info.file)}`,
        });
      } else if (!sameShape(want, info.shape)) {
        issues.push({
          code: "shape-mismatch",
          key,
          file: info.file,
          expected: want,
          actual: info.shape,
          message: `${component}: tensor ${key} in ${path.basename(info.file)} has shape ${fmt(info.shape)}, config.json implies ${fmt(want)}`,
        });
      }
    }
    for (const name of SIDE_FILES[component]) {
      const file = path.join(dir, name);
      if (!fs.existsSync(file))
        issues.push({ code: "missing-file", file, message: `${component}: ${name} missing from ${dir}` });
    }
    if (component === "dit")
      checkSilenceLatent(
        path.join(dir, "silence_latent.pt"),
        (config as { audio_acoustic_hidden_dim?: number }).audio_acoustic_hidden_dim,
        issues,
      );
  } finally {
    weights.close();
  }
  return report();
}

function checkSilenceLatent(file: string, channels: number | undefined, issues: ValidationIssue[]): void {
  if (!fs.existsSync(file)) return;
  try {
    const t = readTorchTensor(file);
    if (t.shape.length !== 3 || t.shape[0] !== 1 || t.shape[1] !== channels || t.dtype !== "F32") {
      issues.push({
        code: "bad-file",
        file,
        actual: t.shape,
        expected: [1, channels ?? -1, -1],
        message: `dit: silence_latent.pt holds ${t.dtype} ${fmt(t.shape)}, expected F32 [1, ${channels}, frames]`,
      });
    }
  } catch (e) {
    issues.push({ code: "bad-file", file, message: `dit: ${(e as Error).message}` });
  }
}

export function formatValidationReport(r: ValidationReport): string {
  if (r.ok) return `${r.component} checkpoint ${r.dir}: ok`;
  return [
    `${r.component} checkpoint ${r.dir}: ${r.issues.length} problem(s)`,
    ...r.issues.map((i) => `  - ${i.message}`),
  ].join("\n");
}

const fmt = (s: readonly number[]) => `[${s.join(", ")}]`;
const sameShape = (a: readonly number[], b: readonly number[]) =>
  a.length === b.length && a.every((d, i) => d === b[i]);
