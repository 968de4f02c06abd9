// Saved graphs: list, get, save (validated for format, not for completeness), delete;
// validate answers every issue of a graph without running it.
import { z } from "zod";
import { randomUUID } from "node:crypto";
import { TRPCError } from "@trpc/server";
import { router, publicProcedure } from "../init";
import { checkShape } from "../../graph/parse";
import { zGraph } from "../../graph/format";
import { GraphInvalidError } from "../../runs/service";
import { listExamples } from "../../graph/examples";

const zId = z.string().regex(/^[A-Za-z0-9_-]{1,64}$/, "graph ids are 1-64 letters, digits, '_' or '-'");

export const graphsRouter = router({
  list: publicProcedure.query(({ ctx }) => ctx.app.store.listGraphs()),
  /** Example workflows from graphs/. */
  examples: publicProcedure.query(() => listExamples()),
  get: publicProcedure.input(z.object({ id: zId })).query(({ ctx, input }) => {
    const g = ctx.app.store.getGraph(input.id);
    if (!g) throw new TRPCError({ code: "NOT_FOUND", message: `no saved graph has the id "${input.id}"` });
    return g;
  }),
  save: publicProcedure
    .input(z.object({ id: zId.optional(), name: z.string().min(1).max(200), graph: z.unknown() }))
    .mutation(({ ctx, input }) => {
      const shape = checkShape(input.graph);
      if (shape.length)
        throw new TRPCError({ code: "BAD_REQUEST", message: shape[0].message, cause: new GraphInvalidError(shape) });
      const parsed = zGraph.safeParse(input.graph);
      if (!parsed.success) {
        const issues = parsed.error.issues.map((i) => ({
          code: "bad_structure" as const,
          field: i.path.join("."),
          message: `${i.path.join(".") || "graph"}: ${i.message}`,
        }));
        throw new TRPCError({ code: "BAD_REQUEST", message: issues[0].message, cause: new GraphInvalidError(issues) });
      }
      const saved = ctx.app.store.saveGraph({ id: input.id ?? randomUUID(), name: input.name, graph: parsed.data });
      return { id: saved.id, name: saved.name, updatedAt: saved.updatedAt };
    }),
  delete: publicProcedure
    .input(z.object({ id: zId }))
    .mutation(({ ctx, input }) => ({ deleted: ctx.app.store.deleteGraph(input.id) })),
  validate: publicProcedure
    .input(z.object({ graph: z.unknown().optional(), overrides: z.record(z.string(), z.unknown()).optional() }))
    .query(({ ctx, input }) => {
      if (input.graph === undefined)
        return {
          issues: [
            {
              code: "bad_structure" as const,
              field: "graph",
              message: 'there is no graph to validate: send {"graph": {...}}',
            },
          ],
        };
      return { issues: ctx.app.runs.validate(input.graph, input.overrides) };
    }),
});
