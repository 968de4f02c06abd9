// The tiny official-layout tree validates, loads its tokenizers, and validateCheckpointDir reports problems.
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { Tokenizer } from "@huggingface/tokenizers";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { bf16ToF32, f32ToBf16 } from "../float16";
import { expectedKeys } from "../layout";
import { formatValidationReport, validateCheckpointDir } from "../layout/validate";
import { writeSafetensors, writeShardedSafetensors } from "../safetensors-writer";
import { readTorchFloat32 } from "../torch-pt";
import { openCheckpointWeights } from "../weights";
import { TINY_DIT_TURBO_CONFIG, TINY_LM_CONFIG } from "./configs";
import { initTensor } from "./init";
import { AUDIO_CODE_BASE_ID } from "./tokenizers";
import { SILENCE_LATENT_FRAMES, type TinyCheckpointDirs, writeTinyCheckpoints } from "./write";

let tmp: string;
let dirs: TinyCheckpointDirs;
beforeAll(() => {
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), "tiny-ckpt-test-"));
  dirs = writeTinyCheckpoints(path.join(tmp, "checkpoints"), { seed: 3 });
});
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

const readJson = (file: string) => JSON.parse(fs.readFileSync(file, "utf8"));
const loadTokenizer = (dir: string) =>
  new Tokenizer(readJson(path.join(dir, "tokenizer.json")), readJson(path.join(dir, "tokenizer_config.json")));

describe("writeTinyCheckpoints", () => {
  it("writes the official folder layout", () => {
    expect(fs.readdirSync(path.join(tmp, "checkpoints")).sort()).toEqual([
      "Qwen3-Embedding-0.6B",
      "acestep-5Hz-lm-0.6B",
      "acestep-5Hz-lm-1.7B",
      "acestep-5Hz-lm-4B",
      "acestep-v15-base",
      "acestep-v15-sft",
      "acestep-v15-turbo",
      "vae",
    ]);
    expect(fs.readdirSync(dirs.ditTurbo).sort()).toEqual(["config.json", "model.safetensors", "silence_latent.pt"]);
    expect(fs.readdirSync(dirs.vae).sort()).toEqual(["config.json", "diffusion_pytorch_model.safetensors"]);
    expect(fs.readdirSync(dirs.lm).sort()).toEqual([
      "config.json",
      "model.safetensors",
      "tokenizer.json",
      "tokenizer_config.json",
    ]);
    const size = Object.values(dirs)
      .flatMap((d) => fs.readdirSync(d).map((f) => fs.statSync(path.join(d, f)).size))
      .reduce((a, b) => a + b, 0);
    expect(size).toBeLessThan(200e6); // mostly the three LM embeddings (217204 rows) and tokenizers
  });

  it.each([
    ["ditTurbo", "dit"],
    ["ditBase", "dit"],
    ["vae", "vae"],
    ["textEncoder", "text-encoder"],
    ["lm", "lm"],
    ["ditSft", "dit"],
    ["lm17b", "lm"],
    ["lm4b", "lm"],
  ] as const)("%s validates against the layout its config.json implies", (dir, component) => {
    const report = validateCheckpointDir(dirs[dir], component);
    expect(report.issues).toEqual([]);
    expect(formatValidationReport(report)).toMatch(/: ok$/);
  });

  it("keeps the structural facts of the official configs", () => {
    const turbo = readJson(path.join(dirs.ditTurbo, "config.json"));
    expect(turbo).toMatchObject({
      model_type: "acestep",
      is_turbo: true,
      patch_size: 2,
      in_channels: 192,
      audio_acoustic_hidden_dim: 64,
      pool_window_size: 5,
      sliding_window: 128,
      rope_theta: 1e6,
    });
    expect(turbo.fsq_input_levels).toEqual([8, 8, 8, 5, 5, 5]);
    expect(turbo.layer_types).toEqual(["sliding_attention", "full_attention"]);
    expect(readJson(path.join(dirs.ditBase, "config.json"))).toMatchObject({ is_turbo: false, model_version: "base" });
    expect(readJson(path.join(dirs.ditSft, "config.json"))).toMatchObject({ is_turbo: false, model_version: "sft" });
    const vae = readJson(path.join(dirs.vae, "config.json"));
    expect(vae.downsampling_ratios.reduce((a: number, b: number) => a * b, 1)).toBe(1920);
    expect(readJson(path.join(dirs.textEncoder, "config.json")).vocab_size).toBe(151669);
    expect(readJson(path.join(dirs.lm, "config.json")).vocab_size).toBe(217204);
    expect(turbo.text_hidden_dim).toBe(readJson(path.join(dirs.textEncoder, "config.json")).hidden_size);
  });

  it("stores seeded bf16 weights with sensible scales, different per variant", () => {
    const w = openCheckpointWeights(dirs.ditTurbo);
    const layout = expectedKeys("dit", TINY_DIT_TURBO_CONFIG);
    const key = "decoder.layers.1.self_attn.q_proj.weight";
    const t = w.getTensor(key);
    expect(t.dtype).toBe("BF16");
    const values = w.getFloat32(key).data;
    const want = initTensor(key, layout.get(key)!, layout, 3);
    expect(Array.from(values.subarray(0, 8))).toEqual(Array.from(want.subarray(0, 8), (v) => bf16ToF32(f32ToBf16(v))));
    const std = Math.sqrt(values.reduce((s, v) => s + v * v, 0) / values.length);
    expect(std).toBeGreaterThan(0.015);
    expect(std).toBeLessThan(0.025);
    expect(Array.from(w.getFloat32("decoder.norm_out.weight").data).every((v) => v === 1)).toBe(true);
    const base = openCheckpointWeights(dirs.ditBase);
    expect(Buffer.from(base.getTensor(key).bytes).equals(Buffer.from(t.bytes))).toBe(false);
    w.close();
    base.close();
  });

  it("stores VAE weight-norm pairs whose weight_g is the row norm of weight_v", () => {
    const w = openCheckpointWeights(dirs.vae);
    const g = w.getFloat32("decoder.block.0.res_unit1.conv1.weight_g");
    const v = w.getFloat32("decoder.block.0.res_unit1.conv1.weight_v");
    expect(g.shape).toEqual([16, 1, 1]);
    const per = v.data.length / 16;
    const norm0 = Math.sqrt(v.data.subarray(0, per).reduce((s, x) => s + x * x, 0));
    expect(g.data[0]).toBeCloseTo(norm0, 1);
    w.close();
  });

  it("writes a float32 [1, 64, 15000] silence latent in each DiT folder", () => {
    const s = readTorchFloat32(path.join(dirs.ditTurbo, "silence_latent.pt"));
    expect(s.shape).toEqual([1, 64, SILENCE_LATENT_FRAMES]);
    expect(s.data[10]).toBe(s.data[SILENCE_LATENT_FRAMES - 1]); // steady after the first 4 frames
    expect(s.data[0]).not.toBe(s.data[10]);
  });

  it("ships a text-encoder tokenizer that encodes like Qwen3 and appends <|endoftext|>", () => {
    const tok = loadTokenizer(dirs.textEncoder);
    expect(tok.encode("keyscale: G major", { add_special_tokens: false }).ids).toEqual([10563, 2246, 25, 479, 3598]);
    expect(tok.encode("keyscale: G major").ids).toEqual([10563, 2246, 25, 479, 3598, 151643]);
  });

  it("ships an LM tokenizer with the 65 535 audio-code tokens at 151669 + n and no appended token", () => {
    const tok = loadTokenizer(dirs.lm);
    expect(tok.encode("keyscale: G major").ids).toEqual([10563, 2246, 25, 479, 3598]);
    expect(tok.encode("<|audio_code_0|>").ids).toEqual([AUDIO_CODE_BASE_ID]);
    expect(tok.encode("<|audio_code_63999|>").ids).toEqual([AUDIO_CODE_BASE_ID + 63999]);
    expect(tok.encode("<|im_start|>assistant\n<|audio_code_65534|><|im_end|>").ids).toEqual([
      151644, 77091, 198, 217203, 151645,
    ]);
    const config = readJson(path.join(dirs.lm, "tokenizer_config.json"));
    expect(config.added_tokens_decoder["215668"].content).toBe("<|audio_code_63999|>");
    expect(Object.keys(config.added_tokens_decoder)).toHaveLength(26 + 65535);
    expect(TINY_LM_CONFIG.vocab_size).toBe(AUDIO_CODE_BASE_ID + 65535);
  });

  it("shapes the 1.7B and 4B LMs like the real ones relative to the 0.6B (width, heads, layers)", () => {
    const lm = (k: "lm" | "lm17b" | "lm4b") => readJson(path.join(dirs[k], "config.json"));
    const [small, mid, big] = [lm("lm"), lm("lm17b"), lm("lm4b")];
    expect(mid.hidden_size / small.hidden_size).toBe(2);
    expect(big.hidden_size / small.hidden_size).toBe(2.5);
    expect(mid.num_attention_heads * mid.head_dim).toBe(mid.hidden_size);
    expect(big.num_attention_heads / big.num_key_value_heads).toBe(4);
    expect(big.num_hidden_layers).toBeGreaterThan(mid.num_hidden_layers);
    for (const c of [mid, big]) expect(c.vocab_size).toBe(217204);
    expect(loadTokenizer(dirs.lm4b).encode("<|audio_code_7|>").ids).toEqual([AUDIO_CODE_BASE_ID + 7]);
  });

  it("writes only the folders asked for", () => {
    const out = path.join(tmp, "only-sft");
    writeTinyCheckpoints(out, { only: ["ditSft"] });
    expect(fs.readdirSync(out)).toEqual(["acestep-v15-sft"]);
  });
});

describe("validateCheckpointDir", () => {
  it("reports every missing key, unexpected key and shape mismatch with file and tensor names", () => {
    const dir = path.join(tmp, "broken-dit");
    fs.cpSync(dirs.ditTurbo, dir, { recursive: true });
    const w = openCheckpointWeights(dir);
    const tensors = w
      .keys()
      .filter((k) => k !== "decoder.norm_out.weight" && k !== "null_condition_emb")
      .map((name) => {
        const t = w.getTensor(name);
        return name === "decoder.proj_in.1.bias"
          ? { ...t, shape: [32], data: t.bytes.subarray(0, 64) }
          : { ...t, data: t.bytes };
      });
    w.close();
    tensors.push({
      name: "decoder.extra.weight",
      dtype: "BF16",
      shape: [2],
      bytes: new Uint8Array(4),
      data: new Uint8Array(4),
    });
    writeSafetensors(path.join(dir, "model.safetensors"), tensors);
    fs.rmSync(path.join(dir, "silence_latent.pt"));
    const report = validateCheckpointDir(dir, "dit");
    expect(report.ok).toBe(false);
    const messages = report.issues.map((i) => i.message);
    expect(messages).toContain("dit: tensor decoder.norm_out.weight [64] missing from model.safetensors");
    expect(messages).toContain("dit: tensor null_condition_emb [1, 1, 64] missing from model.safetensors");
    expect(messages).toContain("dit: unexpected tensor decoder.extra.weight [2] in model.safetensors");
    expect(messages).toContain(
      "dit: tensor decoder.proj_in.1.bias in model.safetensors has shape [32], config.json implies [64]",
    );
    expect(report.issues.find((i) => i.code === "missing-file")?.file).toBe(path.join(dir, "silence_latent.pt"));
    expect(report.issues).toHaveLength(5);
  });

  it("accepts a sharded LM and one whose keys lack the model. prefix", () => {
    const sharded = path.join(tmp, "lm-sharded");
    const unprefixed = path.join(tmp, "lm-unprefixed");
    const w = openCheckpointWeights(dirs.lm);
    const tensors = w.keys().map((name) => ({ ...w.getTensor(name), data: w.getTensor(name).bytes }));
    w.close();
    for (const d of [sharded, unprefixed]) {
      fs.mkdirSync(d);
      for (const f of ["config.json", "tokenizer.json", "tokenizer_config.json"])
        fs.copyFileSync(path.join(dirs.lm, f), path.join(d, f));
    }
    writeShardedSafetensors(sharded, tensors, { maxShardBytes: 4e6 });
    expect(fs.existsSync(path.join(sharded, "model.safetensors.index.json"))).toBe(true);
    expect(validateCheckpointDir(sharded, "lm").issues).toEqual([]);
    writeSafetensors(
      path.join(unprefixed, "model.safetensors"),
      tensors.map((t) => ({ ...t, name: t.name.replace(/^model\./, "") })),
    );
    expect(validateCheckpointDir(unprefixed, "lm").issues).toEqual([]);
  });

  it("reports a missing or invalid config.json instead of throwing", () => {
    const r = validateCheckpointDir(path.join(tmp, "nowhere"), "vae");
    expect(r.issues[0].code).toBe("bad-config");
    const dir = path.join(tmp, "bad-config");
    fs.mkdirSync(dir);
    fs.writeFileSync(path.join(dir, "config.json"), JSON.stringify({ hidden_size: 3 }));
    fs.copyFileSync(path.join(dirs.textEncoder, "model.safetensors"), path.join(dir, "model.safetensors"));
    expect(validateCheckpointDir(dir, "text-encoder").issues[0].message).toMatch(
      /text encoder config\.json is invalid: vocab_size/,
    );
  });
});
