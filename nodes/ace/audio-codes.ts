// Audio Codes: `<|audio_code_N|>` strings ↔ AUDIO_CODES (5 Hz, values clamped to 0..63999 as upstream).
import { defineNode } from "../define-node";
import { param } from "../params";
import { formatAudioCodes, parseAudioCodesDetailed } from "../../server/acestep/codes/audio-codes";
import { NodeError } from "../errors";

export const AudioCodesNode = defineNode({
  type: "ace.audioCodes",
  title: "Audio Codes",
  category: "codes",
  description: "Parses a <|audio_code_N|> string (e.g. from the LM or another tool) into audio codes; 5 codes = 1 s.",
  inputs: {},
  outputs: { codes: { type: "AUDIO_CODES" } },
  params: {
    codes: param.string({
      default: "",
      multiline: true,
      maxLength: 200_000,
      description: "Concatenated <|audio_code_N|> tokens",
    }),
  },
  run: ({ params }, ctx) => {
    const r = parseAudioCodesDetailed(params.codes);
    if (r.codes.length === 0) throw new NodeError("no <|audio_code_N|> tokens found", "codes");
    if (r.clampedCount) ctx.log(`${r.clampedCount} codes were outside 0..63999 and were clamped`);
    return { codes: { codes: [r.codes] } };
  },
});

export const CodesToTextNode = defineNode({
  type: "ace.codesToText",
  title: "Codes to Text",
  category: "codes",
  description: "Formats audio codes as a <|audio_code_N|> string (one batch item).",
  inputs: { codes: { type: "AUDIO_CODES" } },
  outputs: { text: { type: "STRING" } },
  params: { item: param.int({ default: 0, min: 0, max: 7, description: "Batch item" }) },
  run: ({ inputs, params }) => {
    const c = inputs.codes.codes[params.item];
    if (!c)
      throw new NodeError(`batch item ${params.item} does not exist (${inputs.codes.codes.length} items)`, "item");
    return { text: formatAudioCodes(c) };
  },
});
