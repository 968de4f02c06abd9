// Layouts from the official configs reproduce the parameter counts and key shapes computed from the
// upstream modules (acestep/models/*/modeling_acestep_v15_*.py, diffusers AutoencoderOobleck, HF Qwen3).
import { describe, expect, it } from "vitest";
import { expectedKeys, expectedLayout, paramCount } from "./index";
import {
  OFFICIAL_DIT_TURBO_CONFIG,
  OFFICIAL_LM_06B_CONFIG,
  OFFICIAL_TEXT_ENCODER_CONFIG,
  OFFICIAL_VAE_CONFIG,
} from "./official-configs";

const sub = (keys: Map<string, number[]>, prefix: string) => new Map([...keys].filter(([k]) => k.startsWith(prefix)));

describe("layouts derived from the official configs", () => {
  const dit = expectedKeys("dit", OFFICIAL_DIT_TURBO_CONFIG);

  it("reproduces the DiT parameter counts of the upstream modules, block by block", () => {
    expect(paramCount(sub(dit, "decoder.layers.0."))).toBe(62_933_504);
    expect(paramCount(sub(dit, "decoder."))).toBe(1_575_458_880);
    expect(paramCount(sub(dit, "encoder.text_projector."))).toBe(2_097_152);
    expect(paramCount(sub(dit, "encoder.lyric_encoder."))).toBe(404_789_248);
    expect(paramCount(sub(dit, "encoder.timbre_encoder."))).toBe(201_481_216);
    expect(paramCount(sub(dit, "tokenizer."))).toBe(105_032_198);
    expect(paramCount(sub(dit, "tokenizer.quantizer."))).toBe(26_630);
    expect(paramCount(sub(dit, "detokenizer."))).toBe(105_011_776);
    expect(paramCount(dit)).toBe(2_393_872_518);
  });

  it("uses the confirmed DiT key names and shapes", () => {
    expect(dit.get("decoder.proj_in.1.weight")).toEqual([2048, 192, 2]);
    expect(dit.get("decoder.proj_out.1.weight")).toEqual([2048, 64, 2]);
    expect(dit.get("decoder.proj_out.1.bias")).toEqual([64]);
    expect(dit.get("decoder.scale_shift_table")).toEqual([1, 2, 2048]);
    expect(dit.get("decoder.layers.23.scale_shift_table")).toEqual([1, 6, 2048]);
    expect(dit.get("decoder.layers.0.self_attn.q_norm.weight")).toEqual([128]);
    expect(dit.get("decoder.layers.0.cross_attn.k_proj.weight")).toEqual([1024, 2048]);
    expect(dit.get("detokenizer.special_tokens")).toEqual([1, 5, 2048]);
    expect(dit.get("tokenizer.quantizer.project_in.weight")).toEqual([6, 2048]);
    expect(dit.get("null_condition_emb")).toEqual([1, 1, 2048]);
    expect(dit.has("encoder.lyric_encoder.layers.7.mlp.down_proj.weight")).toBe(true);
    expect(dit.has("encoder.lyric_encoder.layers.8.mlp.down_proj.weight")).toBe(false);
  });

  it("gives the VAE 182 decoder tensors and about 168.7 M parameters", () => {
    const vae = expectedKeys("vae", OFFICIAL_VAE_CONFIG);
    expect(sub(vae, "decoder.").size).toBe(182);
    expect(paramCount(vae) / 1e6).toBeCloseTo(168.7, 0);
    expect(vae.get("decoder.block.1.conv_t1.weight_v")).toEqual([1024, 512, 12]); // stride 6 -> kernel 12
    expect(vae.get("decoder.block.0.conv_t1.weight_g")).toEqual([2048, 1, 1]);
    expect(vae.get("encoder.conv2.weight_v")).toEqual([128, 2048, 3]);
    expect(vae.has("decoder.conv2.bias")).toBe(false);
    expect(vae.get("decoder.snake1.alpha")).toEqual([1, 128, 1]);
  });

  it("gives the Qwen3 text encoder unprefixed keys and the LM model.-prefixed keys with an optional tied head", () => {
    const te = expectedKeys("text-encoder", OFFICIAL_TEXT_ENCODER_CONFIG);
    expect(te.get("embed_tokens.weight")).toEqual([151669, 1024]);
    expect(te.get("layers.27.self_attn.q_proj.weight")).toEqual([2048, 1024]);
    const lm = expectedLayout("lm", OFFICIAL_LM_06B_CONFIG);
    expect(lm.required.get("model.embed_tokens.weight")).toEqual([217204, 1024]);
    expect(lm.optional.get("lm_head.weight")).toEqual([217204, 1024]);
    expect(paramCount(lm.required) / 1e9).toBeCloseTo(0.66, 2);
    expect(expectedKeys("lm", { ...OFFICIAL_LM_06B_CONFIG, tie_word_embeddings: false }).has("lm_head.weight")).toBe(
      true,
    );
  });

  it("sizes the condition encoders by encoder_hidden_size when the config has one (XL)", () => {
    const xl = {
      ...OFFICIAL_DIT_TURBO_CONFIG,
      hidden_size: 2560,
      intermediate_size: 9728,
      num_attention_heads: 32,
      num_hidden_layers: 32,
      encoder_hidden_size: 2048,
    };
    const keys = expectedKeys("dit", xl);
    expect(keys.get("decoder.condition_embedder.weight")).toEqual([2560, 2048]);
    expect(keys.get("decoder.layers.31.self_attn.q_proj.weight")).toEqual([4096, 2560]);
    expect(keys.get("encoder.lyric_encoder.layers.0.self_attn.q_proj.weight")).toEqual([4096, 2048]);
    expect(keys.get("encoder.text_projector.weight")).toEqual([2048, 1024]);
    expect(keys.get("null_condition_emb")).toEqual([1, 1, 2048]);
  });

  it("names the config field that is missing or wrong", () => {
    const { hidden_size: _, ...noHidden } = OFFICIAL_DIT_TURBO_CONFIG;
    expect(() => expectedKeys("dit", noHidden)).toThrow(/layout: DiT config\.json is invalid: hidden_size/);
    expect(() => expectedKeys("vae", { ...OFFICIAL_VAE_CONFIG, channel_multiples: [1, 2] })).toThrow(
      /channel_multiples \(2\) and downsampling_ratios \(5\)/,
    );
  });
});
