// A test-tone audio source: proves the audio path without any model.
import { defineNode } from "../define-node";
import { param } from "../params";

export const TestToneNode = defineNode({
  type: "audio.testTone",
  title: "Test Tone",
  category: "audio",
  description: "A stereo sine tone at 48 kHz (left and right can differ), for checking the audio path.",
  inputs: {},
  outputs: { audio: { type: "AUDIO" } },
  params: {
    frequency: param.float({ default: 440, min: 1, max: 20_000, description: "Left channel frequency in Hz" }),
    rightFrequency: param.float({ default: 660, min: 1, max: 20_000, description: "Right channel frequency in Hz" }),
    seconds: param.float({ default: 2, min: 0.01, max: 600, description: "Duration in seconds" }),
    amplitude: param.float({ default: 0.5, min: 0, max: 1, ui: "slider", step: 0.01, description: "Peak amplitude" }),
  },
  run: ({ params }) => {
    const sampleRate = 48_000;
    const n = Math.round(params.seconds * sampleRate);
    const tone = (f: number) => {
      const x = new Float32Array(n);
      const w = (2 * Math.PI * f) / sampleRate;
      for (let i = 0; i < n; i++) x[i] = params.amplitude * Math.sin(w * i);
      return x;
    };
    return { audio: { sampleRate, channels: [tone(params.frequency), tone(params.rightFrequency)] } };
  },
});
