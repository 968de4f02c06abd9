// Declarations shaped like nodes.list output, for the graph-model tests.
import type { NodeDecl } from "./decls";

const num = (d: number, extra: Record<string, unknown> = {}) => ({
  type: "number" as const,
  default: d,
  description: "n",
  ui: "number" as const,
  ...extra,
});

export const TONE: NodeDecl = {
  type: "audio.testTone",
  title: "Test Tone",
  category: "audio",
  description: "A stereo sine tone",
  output: false,
  inputs: {},
  outputs: { audio: { type: "AUDIO" } },
  params: { type: "object", properties: { frequency: num(440, { minimum: 1, maximum: 20000 }), seconds: num(2) } },
  paramPorts: { frequency: "FLOAT", seconds: "FLOAT" },
};

export const INFO: NodeDecl = {
  type: "audio.info",
  title: "Audio Info",
  category: "audio",
  description: "Measures audio",
  output: false,
  inputs: { audio: { type: "AUDIO", optional: false } },
  outputs: { seconds: { type: "FLOAT" }, peak: { type: "FLOAT" }, sampleRate: { type: "INT" } },
  params: { type: "object", properties: {} },
  paramPorts: {},
};

export const SHOW: NodeDecl = {
  type: "core.showNumber",
  title: "Show Number",
  category: "output",
  description: "Shows a number",
  output: true,
  inputs: { value: { type: "FLOAT", optional: false } },
  outputs: {},
  params: { type: "object", properties: {} },
  paramPorts: {},
};

export const TEXT: NodeDecl = {
  type: "core.string",
  title: "Text",
  category: "primitives",
  description: "A text value",
  output: false,
  inputs: {},
  outputs: { value: { type: "STRING" } },
  params: {
    type: "object",
    properties: { value: { type: "string", default: "", ui: "textarea", description: "The text" } },
  },
  paramPorts: { value: "STRING" },
};

export const ALL = [TONE, INFO, SHOW, TEXT];
