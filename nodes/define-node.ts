// defineNode: one declaration per node. Ports and params are declared once; the
// execute function's argument and return types are derived from them, so a node whose
// run() disagrees with its declaration fails to compile.
import type { z } from "zod";
import type { PortType } from "./port-types";
import type { PortValueTypes } from "./values";
import type { NodeServices } from "./services";

export interface InputSpec {
  type: PortType;
  optional?: boolean;
  description?: string;
}

export interface OutputSpec {
  type: PortType;
  description?: string;
}

export type InputSpecs = Record<string, InputSpec>;
export type OutputSpecs = Record<string, OutputSpec>;
export type ParamShape = Record<string, z.ZodType>;

export type InputValues<I extends InputSpecs> = {
  [K in keyof I]: I[K]["optional"] extends true
    ? PortValueTypes[I[K]["type"]] | undefined
    : PortValueTypes[I[K]["type"]];
};

export type OutputValues<O extends OutputSpecs> = { [K in keyof O]: PortValueTypes[O[K]["type"]] };

export type ParamValues<P extends ParamShape> = { [K in keyof P]: z.output<P[K]> };

export interface ProgressUpdate {
  step?: number;
  total?: number;
  /** 0..1; derived from step/total when omitted. */
  fraction?: number;
  message?: string;
}

/** A result shown in the editor and listed in the run record (files, texts, values). */
export interface UiResult {
  kind: "audio" | "text" | "value" | "song" | "file";
  /** Path relative to the data folder, for files. */
  path?: string;
  label?: string;
  value?: unknown;
  meta?: Record<string, unknown>;
}

export interface NodeContext {
  nodeId: string;
  runId: string;
  signal: AbortSignal;
  /** Folder for this run's files (absolute). */
  outputDir: string;
  services: NodeServices;
  progress(update: ProgressUpdate): void;
  /** Throws the engine's cancellation error when the run was cancelled. */
  throwIfCancelled(): void;
  /** Report a user-visible result (e.g. a saved audio file). */
  result(result: UiResult): void;
  log(message: string): void;
}

/** What cross-field validation sees about a linked upstream node. */
export interface LinkedNodeInfo {
  nodeId: string;
  type: string;
  output: string;
  params: Record<string, unknown>;
}

export interface FieldIssue {
  field: string;
  message: string;
  received?: unknown;
}

export interface NodeDefinition<
  I extends InputSpecs = InputSpecs,
  O extends OutputSpecs = OutputSpecs,
  P extends ParamShape = ParamShape,
> {
  /** Unique type name, e.g. "ace.ditSampler". */
  type: string;
  title: string;
  category: string;
  description: string;
  inputs: I;
  outputs: O;
  params: P;
  /** Output nodes are the roots of execution: a run computes only what they need. */
  output?: boolean;
  /** Whether outputs may be reused across runs by signature (default: true, false for output nodes). */
  cache?: boolean;
  /** Extra signature material (e.g. a file's content hash) so cached results follow the world. */
  fingerprint?(params: ParamValues<P>, services: NodeServices): string | Promise<string>;
  /**
   * The model sessions this node runs, per input port that carries a model handle: the roles of that model's
   * files (e.g. `{ vae: ["vae_decoder"] }`). The engine passes them to the memory budget before each node, so
   * sessions the rest of the graph does not need can be released (server/models/memory-plan.ts).
   */
  sessions?: Partial<Record<keyof I & string, readonly string[]>>;
  /**
   * Roles of `sessions` the node runs one group after another, releasing a group before the next on offload tiers
   * (the sampler's condition encoders, then the step graph): the budget needs the largest group, not their sum.
   */
  sessionPhases?: readonly (readonly string[])[];
  /** Cross-field checks run by the validator, after each param passed its own schema. */
  validate?(params: ParamValues<P>, links: Partial<Record<keyof I & string, LinkedNodeInfo>>): FieldIssue[];
  run(
    args: { inputs: InputValues<I>; params: ParamValues<P> },
    ctx: NodeContext,
  ): Promise<OutputValues<O>> | OutputValues<O>;
}

/** The type-erased form the engine and registry handle. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type AnyNodeDefinition = NodeDefinition<any, any, any>;

export function defineNode<const I extends InputSpecs, const O extends OutputSpecs, const P extends ParamShape>(
  def: NodeDefinition<I, O, P>,
): NodeDefinition<I, O, P> {
  return def;
}
