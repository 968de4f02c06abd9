// Primitive value nodes: constants other nodes' params and ports can be linked to.
import { defineNode } from "../define-node";
import { param } from "../params";

export const IntNode = defineNode({
  type: "core.int",
  title: "Integer",
  category: "primitives",
  description: "A whole number to feed INT inputs or params.",
  inputs: {},
  outputs: { value: { type: "INT" } },
  params: { value: param.int({ default: 0, description: "The value" }) },
  run: ({ params }) => ({ value: params.value }),
});

export const FloatNode = defineNode({
  type: "core.float",
  title: "Float",
  category: "primitives",
  description: "A number to feed FLOAT inputs or params.",
  inputs: {},
  outputs: { value: { type: "FLOAT" } },
  params: { value: param.float({ default: 0, description: "The value" }) },
  run: ({ params }) => ({ value: params.value }),
});

export const StringNode = defineNode({
  type: "core.string",
  title: "Text",
  category: "primitives",
  description: "A text value (caption, lyrics, …) to feed STRING inputs or params.",
  inputs: {},
  outputs: { value: { type: "STRING" } },
  params: { value: param.string({ default: "", multiline: true, maxLength: 100_000, description: "The text" }) },
  run: ({ params }) => ({ value: params.value }),
});

export const BooleanNode = defineNode({
  type: "core.boolean",
  title: "Boolean",
  category: "primitives",
  description: "A true/false switch.",
  inputs: {},
  outputs: { value: { type: "BOOLEAN" } },
  params: { value: param.boolean({ default: false, description: "The value" }) },
  run: ({ params }) => ({ value: params.value }),
});

export const SeedNode = defineNode({
  type: "core.seed",
  title: "Seed",
  category: "primitives",
  description: "A seed shared by several nodes; -1 picks a new random seed for every run.",
  inputs: {},
  outputs: { seed: { type: "INT" } },
  params: { seed: param.seed({ description: "Seed; -1 = random each run" }) },
  run: ({ params }) => ({ seed: params.seed }),
});
