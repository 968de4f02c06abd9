// The models manifest: which converted file serves which component, with hashes, config,
// dtype and I/O names. Written by the converter, read by the model loaders.
import { readFileSync, existsSync } from "node:fs";
import { join } from "node:path";
import { writeFileAtomicSync } from "../../files/atomic";
import type { Component } from "../../checkpoints/layout";
import type { Precision } from "../../onnx/graph-core";

export const MANIFEST_FILE = "manifest.json";
export const MANIFEST_VERSION = 1;

export interface ManifestFile {
  /** Path relative to the models folder. */
  path: string;
  sha256: string;
  bytes: number;
  /** What the file is, e.g. "text_encoder", "lm", "token_embeddings", "tokenizer". */
  role: string;
  inputs?: string[];
  outputs?: string[];
  /** For raw tensor files: dtype and shape. */
  tensor?: { dtype: string; shape: number[] };
}

export interface ManifestEntry {
  /** Folder name, e.g. "acestep-v15-turbo". */
  name: string;
  component: Component;
  /** weight precision (server/onnx/graph-core.ts Precision) */
  dtype: Precision;
  config: Record<string, unknown>;
  files: ManifestFile[];
  /** Fingerprint of the source files + converter version; unchanged → skip on reconversion. */
  sourceFingerprint: string;
  convertedAt: number;
}

export interface Manifest {
  version: number;
  /** True when the source checkpoints are the tiny random demo weights. */
  demo: boolean;
  entries: Record<string, ManifestEntry>;
}

export function readManifest(modelsDir: string): Manifest | null {
  const p = join(modelsDir, MANIFEST_FILE);
  if (!existsSync(p)) return null;
  let m: Manifest;
  try {
    m = JSON.parse(readFileSync(p, "utf8")) as Manifest;
  } catch (e) {
    throw new Error(
      `${p}: the models manifest is not valid JSON (${(e as Error).message}); reconvert with \`acestep models convert\``,
    );
  }
  if (m.version !== MANIFEST_VERSION)
    throw new Error(`${p}: manifest version ${m.version} is not supported (expected ${MANIFEST_VERSION}); reconvert`);
  return m;
}

export function writeManifest(modelsDir: string, m: Manifest): void {
  writeFileAtomicSync(join(modelsDir, MANIFEST_FILE), JSON.stringify(m, null, 2) + "\n");
}
