// tRPC set up once: the router factory and base procedure, with validation issues
// carried in error data so clients get every issue, not a stack trace.
import { initTRPC } from "@trpc/server";
import type { AppContext } from "../app-context";
import { GraphInvalidError } from "../runs/service";

export interface TrpcContext {
  app: AppContext;
}

interface SchemaIssue {
  path?: ReadonlyArray<PropertyKey | { key: PropertyKey }>;
  message: string;
}

/** Input-schema failures (zod / standard schema) as one readable line instead of the issues' raw JSON. */
export function readableInputError(cause: unknown): string | undefined {
  const issues = (cause as { issues?: unknown } | undefined)?.issues;
  if (!Array.isArray(issues) || issues.length === 0) return undefined;
  const line = (i: SchemaIssue) => {
    const path = (i.path ?? []).map((p) => String(typeof p === "object" ? p.key : p).slice(0, 64)).join(".");
    const missing = /received undefined$/.test(i.message);
    const message =
      path === "" && missing
        ? "the request has no input; send a JSON object"
        : missing
          ? "missing (required)"
          : i.message;
    return path ? `${path}: ${message}` : message;
  };
  const shown = (issues as SchemaIssue[]).slice(0, 5).map(line).join("; ");
  return issues.length > 5 ? `${shown}; and ${issues.length - 5} more` : shown;
}

const t = initTRPC.context<TrpcContext>().create({
  errorFormatter({ shape, error }) {
    const cause = error.cause;
    const issues = cause instanceof GraphInvalidError ? cause.issues : undefined;
    const inputError = error.code === "BAD_REQUEST" && !issues ? readableInputError(cause) : undefined;
    // Never leak stack traces to clients.
    const { stack: _stack, ...data } = shape.data as Record<string, unknown>;
    return { ...shape, message: inputError ?? shape.message, data: { ...data, issues } };
  },
});

/** Builds routers. */
export const router = t.router;
/** Every procedure starts here (auth is enforced by the HTTP layer). */
export const publicProcedure = t.procedure;
/** Creates a server-side caller (used by the CLI and tests). */
export const createCallerFactory = t.createCallerFactory;
