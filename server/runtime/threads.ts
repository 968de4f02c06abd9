// Intra-op threads of every ORT session, in one place: the session host's (session-host.ts), the LM worker's
// (server/pipeline/lm.ts opens it) and the app configuration's (server/config.ts) all read them here.
import { availableParallelism } from "node:os";

/**
 * `ACESTEP_THREADS` when it is set (a whole number ≥ 1), else the number of cores this process may use
 * (`os.availableParallelism()`). Throws, naming the variable, on any other value.
 */
export function ortThreads(env: NodeJS.ProcessEnv = process.env): number {
  const v = env.ACESTEP_THREADS;
  if (v === undefined || v.trim() === "") return Math.max(1, availableParallelism());
  const n = Number(v);
  if (!Number.isInteger(n) || n < 1)
    throw new Error(`environment variable ACESTEP_THREADS must be a whole number ≥ 1, got "${v}"`);
  return n;
}
