// tRPC set up once: the router factory and base procedure, with validation issues
// carried in error data so clients get every issue, not a stack trace.
import { initTRPC } from "@trpc/server";
import type { AppContext } from "../app-context";
import { GraphInvalidError } from "../runs/service";

export interface TrpcContext {
  app: AppContext;
}

const t = initTRPC.context<TrpcContext>().create({
  errorFormatter({ shape, error }) {
    const cause = error.cause;
    const issues = cause instanceof GraphInvalidError ? cause.issues : undefined;
    // Never leak stack traces to clients.
    const { stack: _stack, ...data } = shape.data as Record<string, unknown>;
    return { ...shape, data: { ...data, issues } };
  },
});

/** Builds routers. */
export const router = t.router;
/** Every procedure starts here (auth is enforced by the HTTP layer). */
export const publicProcedure = t.procedure;
/** Creates a server-side caller (used by the CLI and tests). */
export const createCallerFactory = t.createCallerFactory;
