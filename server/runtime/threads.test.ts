// ortThreads (threads.ts) is the one reader of ACESTEP_THREADS: the app configuration and a session host given
// no `threads` take it (the LM service too: test/lm-worker.test.ts).
import { availableParallelism } from "node:os";
import { afterEach, describe, expect, it } from "vitest";
import { loadConfig } from "../config";
import { createSessionHost } from "./session-host";
import { ortThreads } from "./threads";

const saved = process.env.ACESTEP_THREADS;
/** This process's environment with ACESTEP_THREADS set to `v` (or unset). */
function env(v?: string): NodeJS.ProcessEnv {
  const e = { ...process.env };
  if (v === undefined) delete e.ACESTEP_THREADS;
  else e.ACESTEP_THREADS = v;
  return e;
}
afterEach(() => {
  if (saved === undefined) delete process.env.ACESTEP_THREADS;
  else process.env.ACESTEP_THREADS = saved;
});

describe("ortThreads", () => {
  it("reads ACESTEP_THREADS, else the cores this process may use", () => {
    expect(ortThreads(env("3"))).toBe(3);
    expect(ortThreads(env())).toBe(availableParallelism());
    expect(ortThreads(env(" "))).toBe(availableParallelism());
  });

  it("refuses anything but a whole number ≥ 1, naming the variable", () => {
    for (const v of ["0", "-2", "1.5", "two"])
      expect(() => ortThreads(env(v)), v).toThrow(/ACESTEP_THREADS must be a whole number ≥ 1/);
    expect(() => loadConfig(env("two"))).toThrow(/ACESTEP_THREADS/);
  });

  it("the app configuration takes it", () => {
    expect(loadConfig(env("3")).threads).toBe(3);
    expect(loadConfig(env()).threads).toBe(availableParallelism());
  });

  it("a session host given no threads runs its sessions with ACESTEP_THREADS", async () => {
    process.env.ACESTEP_THREADS = "3";
    const host = createSessionHost({ executionProvider: "cpu", logger: () => {} });
    try {
      expect((await host.info()).threads).toBe(3);
    } finally {
      await host.close();
    }
  });
});
