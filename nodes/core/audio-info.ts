// Audio Info: duration, peak and RMS of an AUDIO value.
import { defineNode } from "../define-node";

export const AudioInfoNode = defineNode({
  type: "audio.info",
  title: "Audio Info",
  category: "audio",
  description: "Measures duration (s), peak and RMS level of an audio value.",
  inputs: { audio: { type: "AUDIO" } },
  outputs: { seconds: { type: "FLOAT" }, peak: { type: "FLOAT" }, rms: { type: "FLOAT" }, sampleRate: { type: "INT" } },
  params: {},
  run: ({ inputs }) => {
    const { channels, sampleRate } = inputs.audio;
    let peak = 0;
    let sum = 0;
    let count = 0;
    for (const ch of channels)
      for (let i = 0; i < ch.length; i++) {
        const v = ch[i];
        const a = Math.abs(v);
        if (a > peak) peak = a;
        sum += v * v;
        count++;
      }
    return {
      seconds: (channels[0]?.length ?? 0) / sampleRate,
      peak,
      rms: count ? Math.sqrt(sum / count) : 0,
      sampleRate,
    };
  },
});
