// nodes.list: every node declaration with its params as JSON Schema.
import { z } from "zod";
import { TRPCError } from "@trpc/server";
import { router, publicProcedure } from "../init";
import { describeNode, describeRegistry, type NodeDescription } from "../../graph/describe";
import type { NodeRegistry } from "../../../nodes/registry";

/** Declarations do not change while the process runs: describe each registry once. */
const described = new WeakMap<NodeRegistry, NodeDescription[]>();
function describeOnce(r: NodeRegistry): NodeDescription[] {
  let d = described.get(r);
  if (!d) described.set(r, (d = describeRegistry(r)));
  return d;
}

export const nodesRouter = router({
  list: publicProcedure.query(({ ctx }) => describeOnce(ctx.app.registry)),
  get: publicProcedure.input(z.object({ type: z.string().max(128) })).query(({ ctx, input }) => {
    const def = ctx.app.registry.get(input.type);
    if (!def) throw new TRPCError({ code: "NOT_FOUND", message: `no node type "${input.type}"` });
    return describeNode(def);
  }),
});
