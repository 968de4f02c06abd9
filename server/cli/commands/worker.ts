// `acestep worker --redis URL --server URL --token T [--concurrency N] [--data DIR]`: a scale-out worker that
// executes the coordinator's runs (server/runs/scaleout/worker.ts) until SIGTERM/SIGINT, then finishes the runs
// it holds and exits.
import { parseArgs } from "node:util";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { loadConfig } from "../../config";
import { RunWorker } from "../../runs/scaleout/worker";
import { scaleOutTiming } from "../../runs/scaleout/protocol";
import { createAppContext } from "../../app-context";
import { generateTaskKind, TASK_KIND } from "../../api/rest/tasks";

export const WORKER_USAGE =
  "usage: acestep worker --redis <redis://host:port> --server <http://coordinator:port> --token <T> [--concurrency N] [--data <dir>]";

export async function workerCommand(argv: string[]): Promise<number> {
  const { values } = parseArgs({
    args: argv,
    options: {
      redis: { type: "string" },
      server: { type: "string" },
      token: { type: "string" },
      concurrency: { type: "string" },
      data: { type: "string" },
    },
  });
  const config = loadConfig();
  const redisUrl = values.redis ?? config.redisUrl;
  const serverUrl = values.server ?? process.env.ACESTEP_SERVER_URL;
  const token = values.token ?? config.apiToken;
  const concurrency = Number(values.concurrency ?? config.concurrency);
  const missing = [!redisUrl && "--redis", !serverUrl && "--server", !token && "--token"].filter(Boolean);
  if (missing.length) {
    console.error(`missing ${missing.join(", ")}\n${WORKER_USAGE}`);
    return 2;
  }
  if (!Number.isInteger(concurrency) || concurrency < 1) {
    console.error(`--concurrency must be a whole number ≥ 1, got "${values.concurrency}"`);
    return 2;
  }
  if (!URL.canParse(serverUrl!) || !["http:", "https:"].includes(new URL(serverUrl!).protocol)) {
    console.error(`--server must be a URL such as http://coordinator:3000, got "${serverUrl}"`);
    return 2;
  }
  // A scratch folder of its own (never ACESTEP_DATA: a worker deletes each run's files there once uploaded, which
  // must not be the coordinator's outputs when both run on one machine).
  const dataDir = values.data ? resolve(values.data) : mkdtempSync(join(tmpdir(), "acestep-worker-"));
  // A context of its own on the scratch folder: its model manager (models loaded once, kept warm) and the REST
  // task kind, whose graphs run inside the coordinator's run.
  const app = createAppContext({ dataDir, role: "library" });
  const worker = new RunWorker({
    redisUrl: redisUrl!,
    serverUrl: serverUrl!,
    token: token!,
    concurrency,
    dataDir,
    modelsDir: config.modelsDir,
    demoModelsDir: config.demoModelsDir,
    threads: config.threads,
    memoryBudgetBytes: config.memoryBudgetBytes,
    timing: scaleOutTiming(),
    models: app.models,
    registry: app.registry,
    kinds: { [TASK_KIND]: generateTaskKind(app) },
    localOutputs: (runId) => app.store.listOutputs(runId),
  });
  try {
    await worker.start();
  } catch (e) {
    await worker.close().catch(() => {});
    await app.close().catch(() => {});
    throw e;
  }
  console.log(`worker ${worker.id} ready`);
  await new Promise<void>((done) => {
    const stop = () => {
      process.off("SIGINT", stop);
      process.off("SIGTERM", stop);
      console.error("worker: finishing the runs it holds, then exiting…");
      done();
    };
    process.on("SIGINT", stop);
    process.on("SIGTERM", stop);
  });
  await worker.close();
  await app.close();
  return 0;
}
