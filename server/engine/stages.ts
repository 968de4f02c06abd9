// What the memory budget sees of a run before each node: the model sessions that node runs and those of every
// node after it, from the nodes' `sessions` declarations (nodes/define-node.ts). The engine knows no model: a use
// carries the value on the model port (a handle, once its loader ran) and the declared roles.
import type { ResolvedGraph } from "../graph/validate";

export interface SessionUse {
  nodeId: string;
  port: string;
  /** The value on the port (a model handle); undefined while the node that makes it has not run. */
  model: unknown;
  roles: readonly string[];
}

export interface NodeUses {
  nodeId: string;
  nodeType: string;
  uses: SessionUse[];
  /** Groups of roles run one after another (NodeDefinition.sessionPhases); absent = all at once. */
  phases?: readonly (readonly string[])[];
}

export interface NodeStage extends NodeUses {
  runId: string;
  /** The nodes after this one in execution order (those served from the cache included: not known yet). */
  later: NodeUses[];
}

/** The session uses of node `id`, resolving each model port through the outputs computed so far. */
export function usesOf(
  resolved: ResolvedGraph,
  id: string,
  outputs: ReadonlyMap<string, Record<string, unknown>>,
): NodeUses {
  const node = resolved.nodes.get(id)!;
  const uses: SessionUse[] = [];
  for (const [port, roles] of Object.entries((node.def.sessions ?? {}) as Record<string, readonly string[]>)) {
    const link = node.inputs[port];
    if (!link || !roles?.length) continue;
    uses.push({ nodeId: id, port, model: outputs.get(link.node)?.[link.output], roles });
  }
  return { nodeId: id, nodeType: node.type, uses, phases: node.def.sessionPhases };
}

/** The stage of `order[index]`: its uses and those of every node after it. */
export function stageAt(
  resolved: ResolvedGraph,
  order: readonly string[],
  index: number,
  outputs: ReadonlyMap<string, Record<string, unknown>>,
  runId: string,
): NodeStage {
  return {
    runId,
    ...usesOf(resolved, order[index], outputs),
    later: order.slice(index + 1).map((id) => usesOf(resolved, id, outputs)),
  };
}
