// Output nodes that display values in the editor and list them in the run record.
import { defineNode } from "../define-node";

export const ShowTextNode = defineNode({
  type: "core.showText",
  title: "Show Text",
  category: "output",
  description: "Shows a text value in the editor and the run record.",
  inputs: { text: { type: "STRING" } },
  outputs: {},
  params: {},
  output: true,
  run: ({ inputs }, ctx) => {
    ctx.result({ kind: "text", value: inputs.text });
    return {};
  },
});

export const ShowNumberNode = defineNode({
  type: "core.showNumber",
  title: "Show Number",
  category: "output",
  description: "Shows a number in the editor and the run record.",
  inputs: { value: { type: "FLOAT" } },
  outputs: {},
  params: {},
  output: true,
  run: ({ inputs }, ctx) => {
    ctx.result({ kind: "value", value: inputs.value });
    return {};
  },
});

export const ShowSongNode = defineNode({
  type: "core.showSong",
  title: "Show Song",
  category: "output",
  description: "Shows a SONG (caption, lyrics and metadata, e.g. from an LM node) in the editor and the run record.",
  inputs: { song: { type: "SONG" } },
  outputs: {},
  params: {},
  output: true,
  run: ({ inputs }, ctx) => {
    ctx.result({ kind: "song", value: inputs.song });
    return {};
  },
});
