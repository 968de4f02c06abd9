// `acestep serve [--port N] [--host H] [--dev] [--no-editor]`: the editor and the API in one
// process. Builds the editor on first start (or when its sources changed since the build).
import { parseArgs } from "node:util";
import { spawnSync } from "node:child_process";
import { join } from "node:path";
import { createAppContext } from "../../app-context";
import { checkBindSafety, createHttpServer } from "../../http/server";
import { loadConfig } from "../../config";
import { restRoutes } from "../../api/rest";
import { scaleOutRoutes } from "../../http/worker-routes";
import { shownRedisUrl } from "../../runs/scaleout/protocol";
import { serveUntilSignal } from "../until-signal";
import { needsBuild, ROOT } from "../editor-build";

export async function serveCommand(argv: string[]): Promise<number> {
  const { values } = parseArgs({
    args: argv,
    options: {
      port: { type: "string" },
      host: { type: "string" },
      dev: { type: "boolean" },
      "no-editor": { type: "boolean" },
      redis: { type: "string" },
    },
  });
  const base = loadConfig();
  const redisUrl = values.redis ?? base.redisUrl;
  const host = values.host ?? base.host;
  const port = values.port !== undefined ? Number(values.port) : base.port;
  if (!Number.isInteger(port) || port < 0 || port > 65535) {
    console.error(`--port must be a port number, got "${values.port}"`);
    return 2;
  }
  checkBindSafety(host, base.apiToken);
  if (redisUrl && !base.apiToken)
    throw new Error(
      "a coordinator (--redis / ACESTEP_REDIS_URL) needs ACESTEP_API_TOKEN: its workers authenticate with it",
    );
  const app = createAppContext({ host, port, role: "serve", redisUrl });

  let pages:
    ((req: import("node:http").IncomingMessage, res: import("node:http").ServerResponse) => Promise<void>) | undefined;
  if (!values["no-editor"]) {
    const dev = values.dev === true;
    if (!dev && needsBuild()) {
      console.error("building the editor (first start or changed sources; about 30 s)…");
      const r = spawnSync(process.execPath, [join(ROOT, "node_modules/next/dist/bin/next"), "build"], {
        cwd: ROOT,
        stdio: "inherit",
        env: { ...process.env, NEXT_TELEMETRY_DISABLED: "1" },
      });
      if (r.status !== 0) {
        console.error("the editor build failed; see the output above");
        return 1;
      }
    }
    const { default: next } = await import("next");
    const nextApp = next({ dev, dir: ROOT, hostname: host, port });
    await nextApp.prepare();
    const handle = nextApp.getRequestHandler();
    pages = async (req, res) => handle(req, res);
  }

  // The ACE-Step-compatible REST facade: /release_task, /query_result, /v1/audio, /v1/stats, /health.
  const server = createHttpServer({ app, pages, routes: [...scaleOutRoutes(app), ...restRoutes(app)] });
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(port, host, resolve);
  });
  const shown = host.includes(":") ? `[${host}]` : host;
  console.log(`ACE-Step studio on http://${shown}:${port}  (data: ${app.config.dataDir})`);
  if (app.scaleOut) console.log(`coordinator: runs go to workers through Redis ${shownRedisUrl(redisUrl!)}`);
  if (app.models.demo)
    console.log("DEMO WEIGHTS: no ACESTEP_MODELS configured — running tiny random models; the audio is noise.");
  // Prepare models in the background so the first run does not wait for the demo conversion.
  app.models.ready().catch((e) => console.error(`models: ${(e as Error).message}`));
  await serveUntilSignal(server, app);
  return 0;
}
