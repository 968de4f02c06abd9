// Where a LoRA named by a node or the library lives: a path relative to the data folder or the models folder
// (their `loras/` subfolders first), never outside them (server/files/confine.ts).
import { existsSync } from "node:fs";
import { join } from "node:path";
import { confinePath } from "../../files/confine";
import { LoraFormatError } from "./adapter";

export const LORA_FOLDER = "loras";

/** Folders searched, in order, for a relative LoRA path. */
export function loraSearchRoots(o: { dataDir?: string; modelsDir?: string }): string[] {
  const roots: string[] = [];
  for (const base of [o.dataDir, o.modelsDir]) {
    if (!base) continue;
    roots.push(join(base, LORA_FOLDER), base);
  }
  return roots.filter((r) => existsSync(r));
}

/** The absolute path of a PEFT adapter folder or .safetensors file; throws naming the folders searched. */
export function resolveLoraPath(file: string, o: { dataDir?: string; modelsDir?: string }): string {
  const name = file.trim();
  if (!name) throw new LoraFormatError("choose a LoRA: a PEFT adapter folder or a .safetensors file in the loras folder");
  const roots = loraSearchRoots(o);
  for (const root of roots) {
    const p = confinePath(root, name);
    if (existsSync(p)) return p;
  }
  throw new LoraFormatError(`LoRA "${name}" not found in ${roots.join(", ") || "the data or models folder"}`);
}
