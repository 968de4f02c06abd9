// The studio as the end-to-end tests and the editor benchmark run it: the real HTTP server
// (tRPC, file routes) and the built Next.js editor, over the default nodes plus the e2e
// fixture nodes. Prints "listening <url>" when ready. Run: node --import tsx test/e2e/serve.ts
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import type { AddressInfo } from "node:net";
import type { IncomingMessage, ServerResponse } from "node:http";
import { createAppContext } from "../../server/app-context";
import { createHttpServer } from "../../server/http/server";
import { ALL_NODES } from "../../nodes/index";
import { NodeRegistry } from "../../nodes/registry";
import { fixtureNodes } from "./fixture-nodes";

const ROOT = join(dirname(fileURLToPath(import.meta.url)), "..", "..");

const registry = new NodeRegistry([...ALL_NODES, ...fixtureNodes(new Set(ALL_NODES.map((n) => n.type)))]);
const app = createAppContext({ registry, progressIntervalMs: 0, host: "127.0.0.1" });
let handle: ((req: IncomingMessage, res: ServerResponse) => Promise<void>) | null = null;
const server = createHttpServer({
  app,
  pages: async (req, res) => {
    if (!handle) {
      res.statusCode = 503;
      res.end("starting");
      return;
    }
    await handle(req, res);
  },
});
await new Promise<void>((r) => server.listen(Number(process.env.PORT ?? 0), "127.0.0.1", r));
const port = (server.address() as AddressInfo).port;
const { default: next } = await import("next");
const nextApp = next({ dev: false, dir: ROOT, hostname: "127.0.0.1", port });
await nextApp.prepare();
const h = nextApp.getRequestHandler();
handle = async (req, res) => h(req, res);
console.log(`listening http://127.0.0.1:${port}`);

const stop = async () => {
  server.closeAllConnections();
  server.close();
  await app.close();
  process.exit(0);
};
process.once("SIGTERM", () => void stop());
process.once("SIGINT", () => void stop());
