// nodes.list: every node declaration with its params as JSON Schema.
import { z } from "zod";
import { TRPCError } from "@trpc/server";
import { router, publicProcedure } from "../init";
import { describeNode, describeRegistry } from "../../graph/describe";

export const nodesRouter = router({
  list: publicProcedure.query(({ ctx }) => describeRegistry(ctx.app.registry)),
  get: publicProcedure.input(z.object({ type: z.string().max(128) })).query(({ ctx, input }) => {
    const def = ctx.app.registry.get(input.type);
    if (!def) throw new TRPCError({ code: "NOT_FOUND", message: `no node type "${input.type}"` });
    return describeNode(def);
  }),
});
