import { describe, expect, it } from "vitest";
import { generateUuidFromParams, pyFloat, pythonFloatRepr, pythonJsonDumps } from "./result-key";

// Expected strings from CPython 3.11: json.dumps(p, sort_keys=True, ensure_ascii=False), hashlib.sha256, repr().
const params = {
  caption: "lo-fi hip hop, mellow piano",
  lyrics: '[verse]\nÜber den Wolken — 雲の上 🎵\t"quoted"',
  seed: 42,
  guidance_scale: 7.0,
  inference_steps: 8,
  audio_duration: -1.0,
  bpm: null,
  thinking: true,
  use_cot: false,
  shift: 3.0,
  timesteps: null,
  audio_codes: "",
  cfg_interval_start: 0.0,
  cfg_interval_end: 1.0,
  tiny: 1e-5,
  big: 1e16,
  mid: 123456.789,
  neg: -0.5,
  list: [1, pyFloat(2.5), "x", []],
  nested: { b: 1, a: {}, "\u{1F600}": 1, "\uff5e": 2 },
};
const floatKeys = ["guidance_scale", "audio_duration", "shift", "cfg_interval_start", "cfg_interval_end", "big"];
const PY_JSON =
  '{"audio_codes": "", "audio_duration": -1.0, "big": 1e+16, "bpm": null, "caption": "lo-fi hip hop, mellow piano", ' +
  '"cfg_interval_end": 1.0, "cfg_interval_start": 0.0, "guidance_scale": 7.0, "inference_steps": 8, "list": [1, 2.5, "x", []], ' +
  '"lyrics": "[verse]\\nÜber den Wolken — 雲の上 🎵\\t\\"quoted\\"", "mid": 123456.789, "neg": -0.5, ' +
  '"nested": {"a": {}, "b": 1, "～": 2, "😀": 1}, "seed": 42, "shift": 3.0, "thinking": true, "timesteps": null, ' +
  '"tiny": 1e-05, "use_cot": false}';

describe("result key (upstream generate_uuid_from_params)", () => {
  it("serialises exactly like Python json.dumps(sort_keys=True, ensure_ascii=False)", () => {
    expect(pythonJsonDumps(params, { floatKeys })).toBe(PY_JSON);
  });

  it("hashes to the key CPython computes", () => {
    expect(generateUuidFromParams(params, { floatKeys })).toBe("70046745-49c1-1215-62b6-3e93fd64eb7a");
  });

  it("float repr matches Python", () => {
    const cases: [number, string][] = [
      [1, "1.0"],
      [0.1, "0.1"],
      [1e16, "1e+16"],
      [1e15, "1000000000000000.0"],
      [1.5e-7, "1.5e-07"],
      [0.0001, "0.0001"],
      [123456789012345680, "1.2345678901234568e+17"],
      [5e-324, "5e-324"],
      [1.7976931348623157e308, "1.7976931348623157e+308"],
      [-0, "-0.0"],
      [100, "100.0"],
      [1e22, "1e+22"],
      [0.30000000000000004, "0.30000000000000004"],
      [NaN, "NaN"],
      [-Infinity, "-Infinity"],
    ];
    for (const [x, s] of cases) expect(pythonFloatRepr(x)).toBe(s);
  });

  it("integers stay integers unless marked as floats", () => {
    expect(pythonJsonDumps({ a: 3, b: 3, c: pyFloat(3), d: 2n ** 70n }, { floatKeys: ["b"] })).toBe(
      '{"a": 3, "b": 3.0, "c": 3.0, "d": 1180591620717411303424}',
    );
  });
});
