// Runs the acestep CLI in this process (no Node start-up per call) and captures what it prints:
// console.log/error and direct writes to process.stdout/stderr (the converter's progress lines).
import { spawnSync } from "node:child_process";
import { vi } from "vitest";
import { main } from "../../server/cli/main";

export interface CliResult {
  code: number | null;
  out: string;
  err: string;
}

export async function runCliInProcess(argv: string[], env: Record<string, string> = {}): Promise<CliResult> {
  const out: string[] = [];
  const err: string[] = [];
  const line =
    (sink: string[]) =>
    (...a: unknown[]) =>
      void sink.push(`${a.join(" ")}\n`);
  const chunk = (sink: string[]) => (c: string | Uint8Array) => (sink.push(String(c)), true);
  const spies = [
    vi.spyOn(console, "log").mockImplementation(line(out)),
    vi.spyOn(console, "error").mockImplementation(line(err)),
    vi.spyOn(process.stdout, "write").mockImplementation(chunk(out) as typeof process.stdout.write),
    vi.spyOn(process.stderr, "write").mockImplementation(chunk(err) as typeof process.stderr.write),
  ];
  for (const [k, v] of Object.entries(env)) vi.stubEnv(k, v);
  try {
    const code = await main(argv);
    return { code, out: out.join(""), err: err.join("") };
  } finally {
    for (const s of spies) s.mockRestore();
    vi.unstubAllEnvs();
  }
}

/** Runs bin/acestep.mjs as its own process: what a user's shell sees (exit status, no stack traces). */
export function runCliProcess(argv: string[], env: Record<string, string> = {}): CliResult {
  const r = spawnSync(process.execPath, ["bin/acestep.mjs", ...argv], {
    encoding: "utf8",
    env: { ...process.env, ...env },
    timeout: 60_000,
  });
  return { code: r.status, out: r.stdout, err: r.stderr };
}
