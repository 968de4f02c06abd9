// Starts an API-only server on a random loopback port with a fresh data folder.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { AddressInfo } from "node:net";
import { createAppContext, type AppContext, type AppContextOptions } from "../../server/app-context";
import { createHttpServer, type HttpServerOptions } from "../../server/http/server";
import type { NodeRegistry } from "../../nodes/registry";

export interface TestServer {
  app: AppContext;
  url: string;
  dataDir: string;
  close(): Promise<void>;
}

export async function startTestServer(
  opts: {
    registry?: NodeRegistry;
    config?: Omit<AppContextOptions, "registry" | "dataDir">;
    dataDir?: string;
    routes?: HttpServerOptions["routes"];
  } = {},
): Promise<TestServer> {
  const dataDir = opts.dataDir ?? mkdtempSync(join(tmpdir(), "acestep-test-"));
  const app = createAppContext({ dataDir, registry: opts.registry, progressIntervalMs: 0, ...opts.config });
  const server = createHttpServer({ app, routes: opts.routes });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  const port = (server.address() as AddressInfo).port;
  return {
    app,
    dataDir,
    url: `http://127.0.0.1:${port}`,
    async close() {
      server.closeAllConnections();
      await new Promise((r) => server.close(r));
      await app.close();
      if (!opts.dataDir) rmSync(dataDir, { recursive: true, force: true });
    },
  };
}
