// The HTTP server: the tRPC API at /api/trpc, the file routes at /api/files, and the
// Next.js editor for everything else. One process, one engine, one module instance.
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import { createHTTPHandler } from "@trpc/server/adapters/standalone";
import { appRouter } from "../trpc/app-router";
import type { AppContext } from "../app-context";
import { isLoopback } from "../config";
import { authorize } from "./auth";
import { handleUpload, serveFile } from "./files";
import { sendJson } from "./respond";
import { createGuard } from "./guard";
import { isServedPath, removeStaleTempFiles } from "./served";
import { prepareTrpcBody } from "./trpc-body";

import type { ExtraRoute } from "./routes";

export type { ExtraRoute } from "./routes";

export interface HttpServerOptions {
  app: AppContext;
  /** Handler for non-API requests (the Next.js app); 404 when absent. */
  pages?: (req: IncomingMessage, res: ServerResponse) => void | Promise<void>;
  /** Extra routes tried before the pages (e.g. the ACE-Step REST facade). */
  routes?: ExtraRoute[];
}

export function createHttpServer(opts: HttpServerOptions): Server {
  const { app } = opts;
  const trpc = createHTTPHandler({
    router: appRouter,
    basePath: "/api/trpc/",
    maxBodySize: 8 * 1024 * 1024, // POST bodies are pre-read with this cap by prepareTrpcBody
    // Queries may come as POST (graphs.validate carries whole graphs, too long for a URL).
    allowMethodOverride: true,
    createContext: () => ({ app }),
    onError: ({ error, path }) => {
      if (error.code === "INTERNAL_SERVER_ERROR") console.error(`tRPC ${path ?? "?"}:`, error.cause ?? error);
    },
  });

  const guard = createGuard(app.config);
  removeStaleTempFiles(app.config.dataDir);

  return createServer(async (req, res) => {
    try {
      // Host/Origin rules first, then the token, and only then may a route read the body.
      const refusal = guard(req);
      if (refusal) return sendJson(res, refusal.status, { error: refusal.message });
      const url = new URL(req.url ?? "/", "http://localhost");
      const path = url.pathname;
      const isApi = path.startsWith("/api/") || (opts.routes?.length ?? 0) > 0;
      if (path.startsWith("/api/")) {
        const auth = authorize(app.config, req, url);
        if (!auth.ok && auth.reason === "unconfigured")
          return sendJson(res, 500, { error: "the server is bound beyond loopback without ACESTEP_API_TOKEN" });
        if (!auth.ok) return sendJson(res, 401, { error: "missing or wrong API token" });
      }
      if (path.startsWith("/api/trpc/")) return (await prepareTrpcBody(req, res)) ? trpc(req, res) : undefined;
      if (path === "/api/files/upload") {
        if (req.method !== "POST") return sendJson(res, 405, { error: "use POST to upload" });
        return await handleUpload(req, res, app.config.dataDir, app.config.maxUploadBytes);
      }
      if (path.startsWith("/api/files/")) {
        if (req.method !== "GET" && req.method !== "HEAD") return sendJson(res, 405, { error: "use GET to download" });
        const raw = (req.url ?? "").split("?")[0].slice("/api/files/".length);
        return serveFile(req, res, app.config.dataDir, raw, (rel) => isServedPath(app.store, rel));
      }
      if (isApi) for (const route of opts.routes ?? []) if (await route(req, res, url)) return;
      if (path.startsWith("/api/")) return sendJson(res, 404, { error: `no API route ${path}` });
      if (opts.pages) return await opts.pages(req, res);
      sendJson(res, 404, { error: "the editor is not served by this process" });
    } catch (e) {
      console.error("request failed:", e);
      sendJson(res, 500, { error: "internal error" });
    }
  });
}

/** Refuses to expose the API beyond loopback without a token. */
export function checkBindSafety(host: string, token: string | null): void {
  if (!isLoopback(host) && !token)
    throw new Error(
      `refusing to listen on ${host} without an API token: set ACESTEP_API_TOKEN (clients send it as "Authorization: Bearer <token>")`,
    );
}
