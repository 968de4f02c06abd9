// Op-level checks of GraphBuilder helpers the later components need (DiT patchify Conv1d k2 s2,
// ConvTranspose1d k2 s2, LayerNorm, Softmax, timestep sinusoid Sin/Cos, Linear with bias in fp32/fp16).
import { afterAll, describe, expect, it } from "vitest";
import { GraphBuilder } from "../../server/onnx/graph";
import { toBytes } from "../../server/onnx/serialize";
import { linear, roundAll } from "./reference/math";
import { f32, maxAbsDiff, measured, randArray, randomWeights, record, rng, session } from "./helpers";

async function run1(g: GraphBuilder, feeds: Record<string, ReturnType<typeof f32>>): Promise<Float32Array> {
  const s = await session(toBytes(g.finish()));
  return (await s.run(feeds)).y.data as Float32Array;
}

describe("graph builder ops", () => {
  afterAll(() => console.log("ops max abs errors", measured));
  const w = randomWeights(
    {
      "proj_in.1.weight": [6, 3, 2],
      "proj_in.1.bias": [6],
      "proj_out.1.weight": [6, 4, 2],
      "proj_out.1.bias": [4],
      "lin.weight": [5, 7],
      "lin.bias": [5],
    },
    41,
    0.5,
  );

  for (const precision of ["fp32", "fp16"] as const) {
    it(`Conv1d k2 s2 and ConvTranspose1d k2 s2 match loops (${precision} weights)`, async () => {
      const T = 8;
      const g = new GraphBuilder({ weights: w, precision });
      const x = g.input("x", "float32", [1, 3, T]);
      const W = g.param("proj_in.1.weight", { half: true });
      const h = g.add(
        g.toF32(g.conv(g.toCompute(x), W, null, { strides: [2] })),
        g.reshape(g.param("proj_in.1.bias"), [1, 6, 1]),
      );
      const Wt = g.param("proj_out.1.weight", { half: true });
      const y = g.add(
        g.toF32(g.convTranspose(g.toCompute(h), Wt, null, { strides: [2] })),
        g.reshape(g.param("proj_out.1.bias"), [1, 4, 1]),
      );
      g.output("y", y);
      const xs = randArray(rng(42), 3 * T, 1);
      const got = await run1(g, { x: f32(xs, [1, 3, T]) });
      const r = (k: string) => (precision === "fp16" ? roundAll(w.get(k).data) : w.get(k).data);
      const wi = r("proj_in.1.weight"),
        bi = w.get("proj_in.1.bias").data,
        wo = r("proj_out.1.weight"),
        bo = w.get("proj_out.1.bias").data;
      const hid = new Float32Array(6 * (T / 2));
      for (let o = 0; o < 6; o++)
        for (let t = 0; t < T / 2; t++) {
          let s = bi[o];
          for (let c = 0; c < 3; c++) for (let k = 0; k < 2; k++) s += wi[(o * 3 + c) * 2 + k] * xs[c * T + 2 * t + k];
          hid[o * (T / 2) + t] = s;
        }
      const ref = new Float32Array(4 * T);
      for (let o = 0; o < 4; o++)
        for (let t = 0; t < T; t++) {
          let s = bo[o];
          for (let c = 0; c < 6; c++) s += wo[(c * 4 + o) * 2 + (t % 2)] * hid[c * (T / 2) + Math.floor(t / 2)];
          ref[o * T + t] = s;
        }
      expect(record(`conv/convT ${precision}`, maxAbsDiff(got, ref))).toBeLessThanOrEqual(1e-5);
    });

    it(`linear with bias matches the reference (${precision})`, async () => {
      const g = new GraphBuilder({ weights: w, precision });
      g.output("y", g.linear(g.input("x", "float32", ["n", 7]), "lin.weight", "lin.bias"));
      const xs = randArray(rng(43), 3 * 7, 1);
      const got = await run1(g, { x: f32(xs, [3, 7]) });
      expect(
        record(
          `linear+bias ${precision}`,
          maxAbsDiff(got, linear(xs, 3, w.get("lin.weight"), w.get("lin.bias"), precision === "fp16")),
        ),
      ).toBeLessThanOrEqual(1e-5);
    });
  }

  it("LayerNormalization, Softmax and a [cos, sin] timestep sinusoid match loops", async () => {
    const g = new GraphBuilder();
    const x = g.input("x", "float32", [2, 4]);
    const ln = g.layerNormalization(x, g.constF32([1, 2, 3, 4]), g.constF32([0.5, 0, 0, -0.5]), 1e-5);
    const sm = g.softmax(ln);
    const t = g.input("t", "float32", [2]);
    const freqs = g.constF32([0, 1, 2].map((k) => Math.exp((-Math.log(10000) * k) / 3)));
    const ang = g.mul(g.unsqueeze(g.mul(t, g.scalarF32(1000)), [1]), freqs); // [2,3]
    g.output("y", g.concat([sm, g.cos(ang), g.sin(ang)], 1)); // [2, 10]
    const xs = Float32Array.from([1, -2, 0.5, 3, 0, 0.1, -0.1, 2]);
    const ts = Float32Array.from([0.25, 1]);
    const s = await session(toBytes(g.finish()));
    const got = (await s.run({ x: f32(xs, [2, 4]), t: f32(ts, [2]) })).y.data as Float32Array;
    const ref: number[] = [];
    for (let r = 0; r < 2; r++) {
      const row = Array.from(xs.subarray(r * 4, r * 4 + 4));
      const mean = row.reduce((a, b) => a + b) / 4;
      const v = row.reduce((a, b) => a + (b - mean) ** 2, 0) / 4;
      const n = row.map((q, i) => ((q - mean) / Math.sqrt(v + 1e-5)) * [1, 2, 3, 4][i] + [0.5, 0, 0, -0.5][i]);
      const m = Math.max(...n);
      const e = n.map((q) => Math.exp(q - m));
      const z = e.reduce((a, b) => a + b);
      const a = [0, 1, 2].map((k) =>
        Math.fround(Math.fround(1000 * ts[r]) * Math.fround(Math.exp((-Math.log(10000) * k) / 3))),
      );
      ref.push(...e.map((q) => q / z), ...a.map(Math.cos), ...a.map(Math.sin));
    }
    expect(record("layernorm/softmax/sinusoid", maxAbsDiff(got, ref))).toBeLessThanOrEqual(1e-5);
  });
});
