// Routes that modules add to the HTTP server (the ACE-Step REST facade, worker endpoints), tried before the
// editor's pages. A route answers true when it handled the request.
import type { IncomingMessage, ServerResponse } from "node:http";

export type ExtraRoute = (req: IncomingMessage, res: ServerResponse, url: URL) => boolean | Promise<boolean>;

export interface RouteSpec<C> {
  methods: string[];
  run: (ctx: C, req: IncomingMessage, res: ServerResponse, url: URL) => Promise<void> | void;
}

/**
 * A route over a table of exact paths: 405 (via `refuse`) for a known path with another method, errors of the
 * handlers answered by `fail`. The server itself never crashes on a handler error.
 */
export function tableRoute<C>(
  ctx: C,
  table: Record<string, RouteSpec<C>>,
  answer: {
    refuse: (res: ServerResponse, status: number, message: string) => void;
    fail: (res: ServerResponse, e: unknown) => void;
  },
): ExtraRoute {
  return async (req, res, url) => {
    const route = Object.hasOwn(table, url.pathname) ? table[url.pathname] : undefined;
    if (!route) return false;
    if (!route.methods.includes(req.method ?? "GET")) {
      answer.refuse(res, 405, "Method Not Allowed");
      return true;
    }
    try {
      await route.run(ctx, req, res, url);
    } catch (e) {
      answer.fail(res, e);
    }
    return true;
  };
}
