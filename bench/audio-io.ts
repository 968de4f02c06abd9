// Audio I/O benchmark: encode/decode time per format for 30 s and 240 s of 48 kHz stereo, plus resampling.
// Run: npx tsx bench/audio-io.ts [seconds...]
import { encodeAudio, loadAudio, resample, type EncodeOptions } from "../server/audio/index";
import type { Audio } from "../server/audio/types";
import { uniforms } from "../server/random/prng";

/** Music-like test signal: a few partials with slow vibrato plus low-level noise (so FLAC has work to do). */
function testSignal(seconds: number, rate = 48000): Audio {
  const n = Math.round(seconds * rate);
  const rand = uniforms(1);
  const rnd = () => rand() * 2 - 1;
  const channels = [0, 1].map((c) => {
    const x = new Float32Array(n);
    for (let i = 0; i < n; i++) {
      const t = i / rate;
      const vib = 1 + 0.002 * Math.sin(2 * Math.PI * 5 * t);
      x[i] =
        0.3 * Math.sin(2 * Math.PI * (220 + 110 * c) * vib * t) +
        0.15 * Math.sin(2 * Math.PI * 1333 * t) +
        0.05 * Math.sin(2 * Math.PI * 4400 * t) +
        0.02 * rnd();
    }
    return x;
  });
  return { sampleRate: rate, channels };
}

async function time<T>(fn: () => Promise<T>): Promise<[T, number]> {
  const t0 = performance.now();
  const r = await fn();
  return [r, performance.now() - t0];
}

const FORMATS: [string, EncodeOptions][] = [
  ["wav 16-bit", { format: "wav", bitDepth: 16 }],
  ["wav 24-bit", { format: "wav", bitDepth: 24 }],
  ["wav 32f", { format: "wav", bitDepth: 32 }],
  ["flac 16-bit", { format: "flac" }],
  ["flac 24-bit", { format: "flac", bitDepth: 24 }],
  ["mp3 128k", { format: "mp3", bitrate: 128 }],
  ["mp3 192k", { format: "mp3", bitrate: 192 }],
  ["ogg vorbis q5", { format: "ogg" }],
];

const durations = process.argv
  .slice(2)
  .map(Number)
  .filter((x) => x > 0);
const pad = (s: string | number, n: number) => String(s).padStart(n);
console.log(`node ${process.version}, ${process.platform}/${process.arch}`);
for (const seconds of durations.length ? durations : [30, 240]) {
  const audio = testSignal(seconds);
  await encodeAudio(testSignal(0.1), { format: "flac" }); // load the wasm modules outside the timings
  console.log(`\n== ${seconds} s, 48 kHz stereo ==`);
  console.log(
    `${"format".padEnd(16)}${pad("encode ms", 10)}${pad("decode ms", 10)}${pad("MB", 8)}  (decode = loadAudio: sniff + decode + normalise)`,
  );
  for (const [label, opts] of FORMATS) {
    const [bytes, enc] = await time(() => encodeAudio(audio, opts));
    const [, dec] = await time(() => loadAudio(bytes, { name: label }));
    console.log(
      `${label.padEnd(16)}${pad(enc.toFixed(0), 10)}${pad(dec.toFixed(0), 10)}${pad((bytes.length / 1e6).toFixed(2), 8)}`,
    );
  }
  const a441 = await resample(audio, 44100, "fastest");
  const wav441 = await encodeAudio(a441, { format: "wav" });
  const [, e2e] = await time(() => loadAudio(wav441, { name: "44k.wav" }));
  console.log(
    `${"wav16 @44.1k".padEnd(16)}${pad("", 10)}${pad(e2e.toFixed(0), 10)}${pad((wav441.length / 1e6).toFixed(2), 8)}  (includes 44.1→48 kHz, SINC_MEDIUM)`,
  );
  for (const q of seconds <= 60 ? (["best", "medium", "fastest"] as const) : (["medium"] as const)) {
    const [, ms] = await time(() => resample(a441, 48000, q));
    console.log(`resample 44.1→48 kHz ${q.padEnd(8)} ${pad(ms.toFixed(0), 7)} ms`);
  }
}
