// Nodes that exist only in the end-to-end server: a stepping pass-through that reports
// progress (so per-node progress bars can be seen without models) and, while the real
// audio.save / audio.preview nodes are absent, a minimal WAV writer for the waveform.
import { writeFileSync } from "node:fs";
import { join, relative } from "node:path";
import { defineNode, type AnyNodeDefinition } from "../../nodes/define-node";
import { param } from "../../nodes/params";

export const StepsNode = defineNode({
  type: "e2e.steps",
  title: "Slow Steps (e2e)",
  category: "test",
  description: "Passes audio through after counting steps with a delay, reporting progress.",
  inputs: { audio: { type: "AUDIO" } },
  outputs: { audio: { type: "AUDIO" } },
  params: {
    steps: param.int({ default: 8, min: 1, max: 1000, description: "Steps to count" }),
    ms: param.int({ default: 150, min: 0, max: 5000, description: "Delay per step (ms)" }),
    seed: param.seed({ description: "Unused; lets the browser tests check the seed widget" }),
  },
  cache: false,
  run: async ({ inputs, params }, ctx) => {
    for (let i = 1; i <= params.steps; i++) {
      ctx.throwIfCancelled();
      await new Promise((r) => setTimeout(r, params.ms));
      ctx.progress({ step: i, total: params.steps });
    }
    return { audio: inputs.audio };
  },
});

function wav16(channels: Float32Array[], sampleRate: number): Buffer {
  const n = channels[0]?.length ?? 0;
  const c = channels.length;
  const b = Buffer.alloc(44 + n * c * 2);
  b.write("RIFF", 0);
  b.writeUInt32LE(36 + n * c * 2, 4);
  b.write("WAVEfmt ", 8);
  b.writeUInt32LE(16, 16);
  b.writeUInt16LE(1, 20);
  b.writeUInt16LE(c, 22);
  b.writeUInt32LE(sampleRate, 24);
  b.writeUInt32LE(sampleRate * c * 2, 28);
  b.writeUInt16LE(c * 2, 32);
  b.writeUInt16LE(16, 34);
  b.write("data", 36);
  b.writeUInt32LE(n * c * 2, 40);
  for (let i = 0; i < n; i++)
    for (let k = 0; k < c; k++)
      b.writeInt16LE(Math.max(-32768, Math.min(32767, Math.round(channels[k][i] * 32767))), 44 + (i * c + k) * 2);
  return b;
}

export const SaveWavNode = defineNode({
  type: "e2e.saveWav",
  title: "Save WAV (e2e)",
  category: "output",
  description: "Writes the audio as 16-bit WAV and shows it (stand-in until audio.save exists).",
  inputs: { audio: { type: "AUDIO" } },
  outputs: {},
  params: {},
  output: true,
  run: ({ inputs }, ctx) => {
    const file = join(ctx.outputDir, "e2e.wav");
    writeFileSync(file, wav16(inputs.audio.channels, inputs.audio.sampleRate));
    const dataDir = ctx.services.dataDir ?? ctx.outputDir;
    ctx.result({ kind: "audio", path: relative(dataDir, file).split("\\").join("/"), label: "e2e.wav" });
    return {};
  },
});

/** The fixture nodes to add to a registry that already holds `present` types. */
export function fixtureNodes(present: Set<string>): AnyNodeDefinition[] {
  const out: AnyNodeDefinition[] = [StepsNode];
  if (!present.has("audio.preview") && !present.has("audio.save")) out.push(SaveWavNode);
  return out;
}
