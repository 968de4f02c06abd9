// A node registry: the set of declarations an engine, validator or editor works with.
import type { AnyNodeDefinition } from "./define-node";

export class NodeRegistry {
  private readonly defs = new Map<string, AnyNodeDefinition>();

  constructor(defs: Iterable<AnyNodeDefinition> = []) {
    for (const d of defs) this.add(d);
  }

  add(def: AnyNodeDefinition): this {
    if (this.defs.has(def.type)) throw new Error(`node type "${def.type}" is declared twice`);
    for (const name of Object.keys(def.inputs))
      if (name in def.params) throw new Error(`node type "${def.type}": "${name}" is both an input port and a param`);
    this.defs.set(def.type, def);
    return this;
  }

  get(type: string): AnyNodeDefinition | undefined {
    return this.defs.get(type);
  }

  has(type: string): boolean {
    return this.defs.has(type);
  }

  list(): AnyNodeDefinition[] {
    return [...this.defs.values()];
  }
}
