// Runs: start (graph JSON or saved graph id + overrides), get, list, cancel, and the
// event stream as an SSE subscription resumable from the last event id.
import { z } from "zod";
import { TRPCError, tracked } from "@trpc/server";
import { router, publicProcedure } from "../init";
import { GraphInvalidError, QueueOrderError } from "../../runs/service";
import { QueueFullError } from "../../runs/queue";

const zRunId = z.string().uuid();

export const runsRouter = router({
  start: publicProcedure
    .input(
      z.object({
        graph: z.unknown().optional(),
        graphId: z.string().max(64).optional(),
        overrides: z.record(z.string(), z.unknown()).optional(),
      }),
    )
    .mutation(({ ctx, input }) => {
      try {
        return ctx.app.runs.start(input);
      } catch (e) {
        if (e instanceof GraphInvalidError) throw new TRPCError({ code: "BAD_REQUEST", message: e.message, cause: e });
        if (e instanceof QueueFullError)
          throw new TRPCError({ code: "TOO_MANY_REQUESTS", message: e.message, cause: e });
        throw e;
      }
    }),
  get: publicProcedure.input(z.object({ runId: zRunId })).query(({ ctx, input }) => {
    const run = ctx.app.store.getRun(input.runId);
    if (!run) throw new TRPCError({ code: "NOT_FOUND", message: `no run has the id "${input.runId}"` });
    return { ...run, position: ctx.app.runs.queued.position(run.id), outputs: ctx.app.store.listOutputs(run.id) };
  }),
  list: publicProcedure
    .input(
      z
        .object({
          limit: z.number().int().min(1).max(500).default(50),
          status: z.enum(["queued", "running", "finished", "failed", "cancelled", "interrupted"]).optional(),
        })
        .default({ limit: 50 }),
    )
    .query(({ ctx, input }) =>
      ctx.app.store.listRuns(input).map(({ graph, ...r }) => {
        const g = graph as { meta?: { name?: unknown }; nodes?: Record<string, unknown> };
        return {
          ...r,
          graphName: typeof g?.meta?.name === "string" ? g.meta.name : null,
          nodeCount: Object.keys(g?.nodes ?? {}).length,
          /** Place in the queue (1-based) while queued, 0 while running, -1 after. */
          position: r.status === "queued" ? ctx.app.runs.queued.position(r.id) : r.status === "running" ? 0 : -1,
        };
      }),
    ),
  cancel: publicProcedure.input(z.object({ runId: zRunId })).mutation(({ ctx, input }) => {
    if (!ctx.app.store.getRun(input.runId))
      throw new TRPCError({ code: "NOT_FOUND", message: `no run has the id "${input.runId}"` });
    return { cancelled: ctx.app.runs.cancel(input.runId) };
  }),
  /** Moves a waiting run to place `to` (1-based) of the queue; CONFLICT when it no longer waits, BAD_REQUEST when
   * it waits in the scale-out queue. */
  move: publicProcedure.input(z.object({ runId: zRunId, to: z.number().int().min(1) })).mutation(({ ctx, input }) => {
    if (!ctx.app.store.getRun(input.runId))
      throw new TRPCError({ code: "NOT_FOUND", message: `no run has the id "${input.runId}"` });
    let position: number;
    try {
      position = ctx.app.runs.move(input.runId, input.to);
    } catch (e) {
      if (e instanceof QueueOrderError) throw new TRPCError({ code: "BAD_REQUEST", message: e.message, cause: e });
      throw e;
    }
    if (position < 0)
      throw new TRPCError({ code: "CONFLICT", message: `run "${input.runId}" is not waiting in the queue` });
    return { position };
  }),
  events: publicProcedure
    .input(z.object({ runId: zRunId, lastEventId: z.string().nullish() }))
    .subscription(async function* ({ ctx, input, signal }) {
      if (!ctx.app.store.getRun(input.runId))
        throw new TRPCError({ code: "NOT_FOUND", message: `no run has the id "${input.runId}"` });
      const after = input.lastEventId ? Number(input.lastEventId) || 0 : 0;
      for await (const e of ctx.app.runs.events(input.runId, after, signal)) yield tracked(String(e.seq), e);
    }),
  /** Queue length, running runs and the processes or workers that execute them. */
  queue: publicProcedure.query(({ ctx }) => ctx.app.runs.queueStats()),
});
