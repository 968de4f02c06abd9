// The memory budget for loaded ORT sessions (ModelManager → runtime registry, which unloads the least recently
// used sessions to stay under it and reloads them on demand): ACESTEP_MEMORY_BUDGET, or by default three quarters
// of the machine's total memory (the rest is left to the process's own buffers and other programs).
import { totalmem } from "node:os";

const UNITS: Record<string, number> = {
  "": 1,
  b: 1,
  k: 1e3,
  kb: 1e3,
  kib: 2 ** 10,
  m: 1e6,
  mb: 1e6,
  mib: 2 ** 20,
  g: 1e9,
  gb: 1e9,
  gib: 2 ** 30,
  t: 1e12,
  tb: 1e12,
  tib: 2 ** 40,
};

/** "8G", "6.5 GiB", "800MB", "123456" → bytes; `what` names the setting in the error. */
export function parseByteSize(text: string, what: string): number {
  const m = /^\s*(\d+(?:\.\d+)?)\s*([a-z]*)\s*$/i.exec(text);
  const unit = m ? UNITS[m[2].toLowerCase()] : undefined;
  if (!m || unit === undefined || Number(m[1]) <= 0) {
    throw new Error(`${what} must be a positive size such as 8G, 6.5GiB, 800M or a number of bytes, got "${text}"`);
  }
  return Math.floor(Number(m[1]) * unit);
}

export const DEFAULT_BUDGET_FRACTION = 0.75;

/** ACESTEP_MEMORY_BUDGET when set, else DEFAULT_BUDGET_FRACTION of `total` (the machine's memory). */
export function memoryBudgetBytes(env: Record<string, string | undefined> = process.env, total = totalmem()): number {
  const v = env.ACESTEP_MEMORY_BUDGET;
  if (v !== undefined && v !== "") return parseByteSize(v, "environment variable ACESTEP_MEMORY_BUDGET");
  return Math.floor(total * DEFAULT_BUDGET_FRACTION);
}
