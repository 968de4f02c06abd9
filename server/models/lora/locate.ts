// Where a LoRA named by a node or the library lives: a path relative to the data folder or the models folder
// (their `loras/` subfolders first), never outside them (server/files/confine.ts).
import { createHash } from "node:crypto";
import { cpSync, existsSync, mkdirSync, readdirSync, readFileSync, statSync } from "node:fs";
import { basename, isAbsolute, join, relative, resolve, sep } from "node:path";
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
  if (!name)
    throw new LoraFormatError("choose a LoRA: a PEFT adapter folder or a .safetensors file in the loras folder");
  const roots = loraSearchRoots(o);
  for (const root of roots) {
    const p = confinePath(root, name);
    if (existsSync(p)) return p;
  }
  throw new LoraFormatError(`LoRA "${name}" not found in ${roots.join(", ") || "the data or models folder"}`);
}

/**
 * A LoRA path given to the library as the Load LoRA node's `file`: relative paths stay (the node resolves them);
 * absolute paths inside the data folder become relative; others are copied ("copy": into
 * `<data>/loras/<hash>-<name>`, once per content) or refused ("refuse", the REST facade).
 */
export function stageLoraPath(dataDir: string, path: string, outside: "copy" | "refuse"): string {
  const root = resolve(dataDir);
  if (!isAbsolute(path)) return path;
  const full = resolve(path);
  if (full.startsWith(root + sep)) return relative(root, full).split(sep).join("/");
  if (outside === "refuse") {
    throw new LoraFormatError(`LoRA "${path}" is outside the data folder (put it under ${join(root, LORA_FOLDER)})`);
  }
  if (!existsSync(full)) throw new LoraFormatError(`LoRA ${path}: no such file or folder`);
  const files = statSync(full).isDirectory()
    ? readdirSync(full)
        .sort()
        .map((f) => join(full, f))
        .filter((f) => statSync(f).isFile())
    : [full];
  const h = createHash("sha256");
  for (const f of files) h.update(`${basename(f)}\n`).update(readFileSync(f));
  const name =
    basename(full)
      .replace(/[^A-Za-z0-9_.-]+/g, "_")
      .slice(0, 60) || "lora";
  const staged = `${LORA_FOLDER}/${h.digest("hex").slice(0, 16)}-${name}`;
  const target = join(root, staged);
  if (!existsSync(target)) {
    mkdirSync(join(root, LORA_FOLDER), { recursive: true });
    cpSync(full, target, { recursive: true });
  }
  return staged;
}
