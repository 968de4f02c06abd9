// Adapter formats (keys.ts, adapter.ts): key names of PEFT / ComfyUI / acestep.cpp mapped to DiT weights,
// alpha precedence and rsLoRA scaling, and refusals that name the offending key.
import { afterAll, describe, expect, it } from "vitest";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { writeSafetensors } from "../../checkpoints";
import { TINY_DIT_TURBO_CONFIG } from "../../checkpoints/tiny";
import { loraMismatch, readLoraAdapter } from "./adapter";
import { parseLoraKey } from "./keys";
import { randomLoraFactors, writePeftAdapter } from "./write";

const dir = mkdtempSync(join(tmpdir(), "acestep-lora-format-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe("LoRA key names", () => {
  const target = "decoder.layers.3.self_attn.q_proj.weight";
  it.each([
    ["base_model.model.layers.3.self_attn.q_proj.lora_A.weight", "A"],
    ["base_model.model.layers.3.self_attn.q_proj.lora_B.default.weight", "B"],
    ["diffusion_model.decoder.layers.3.self_attn.q_proj.lora_down.weight", "A"],
    ["diffusion_model.layers.3.self_attn.q_proj.lora_up.weight", "B"],
    ["layers.3.self_attn.q_proj.alpha", "alpha"],
    ["lora_unet_decoder_layers_3_self_attn_q_proj.lora_down.weight", "A"],
    ["lycoris_layers_3_self_attn_q_proj.alpha", "alpha"],
  ])("%s → %s", (key, part) => {
    expect(parseLoraKey(key, "f")).toEqual({ target, part });
  });

  it("maps MLP, condition embedder and timestep modules", () => {
    expect(parseLoraKey("lora_unet_layers_0_mlp_down_proj.lora_up.weight", "f").target).toBe(
      "decoder.layers.0.mlp.down_proj.weight",
    );
    expect(parseLoraKey("base_model.model.condition_embedder.lora_A.weight", "f").target).toBe(
      "decoder.condition_embedder.weight",
    );
    expect(parseLoraKey("lycoris_time_embed_r_time_proj.lora_down.weight", "f").target).toBe(
      "decoder.time_embed_r.time_proj.weight",
    );
  });

  it("refuses other models and adapter kinds, naming the key", () => {
    expect(() =>
      parseLoraKey("lora_te1_text_model_encoder_layers_0_mlp_fc1.lora_down.weight", "x.safetensors"),
    ).toThrow(/x\.safetensors: key "lora_te1_text_model.*not part of the ACE-Step DiT decoder/);
    expect(() =>
      parseLoraKey("diffusion_model.encoder.lyric_encoder.layers.0.self_attn.q_proj.lora_A.weight", "f"),
    ).toThrow(/encoder\.lyric_encoder/);
    expect(() => parseLoraKey("lycoris_layers_0_self_attn_q_proj.lokr_w1", "f")).toThrow(/LoKr/);
    expect(() => parseLoraKey("base_model.model.layers.0.self_attn.q_proj.lora_magnitude_vector", "f")).toThrow(/DoRA/);
    expect(() => parseLoraKey("base_model.model.layers.0.self_attn.q_proj.weight", "f")).toThrow(/not a LoRA tensor/);
  });
});

describe("reading adapters", () => {
  const f = randomLoraFactors(TINY_DIT_TURBO_CONFIG, { rank: 4, targetModules: ["q_proj"] });

  it("PEFT folder: r, lora_alpha, alpha_pattern, rsLoRA; bf16 factors read back", () => {
    const p = join(dir, "peft");
    writePeftAdapter(p, f, { r: 4, alpha: 16, rslora: true, dtype: "BF16" });
    const cfgPath = join(p, "adapter_config.json");
    writeFileSync(
      cfgPath,
      JSON.stringify({
        peft_type: "LORA",
        r: 4,
        lora_alpha: 16,
        use_rslora: true,
        alpha_pattern: { "layers.1.self_attn.q_proj": 9 },
      }),
    );
    const a = readLoraAdapter(p);
    expect(a.format).toBe("peft");
    expect(a.modules.map((m) => m.target)).toEqual([
      "decoder.layers.0.cross_attn.q_proj.weight",
      "decoder.layers.0.self_attn.q_proj.weight",
      "decoder.layers.1.cross_attn.q_proj.weight",
      "decoder.layers.1.self_attn.q_proj.weight",
    ]);
    const byTarget = Object.fromEntries(a.modules.map((m) => [m.target, m]));
    expect(byTarget["decoder.layers.0.self_attn.q_proj.weight"].scaling).toBeCloseTo(16 / 2, 12); // alpha / √r
    expect(byTarget["decoder.layers.1.self_attn.q_proj.weight"].alpha).toBe(9);
    expect(byTarget["decoder.layers.1.cross_attn.q_proj.weight"].alpha).toBe(16);
    const m0 = byTarget["decoder.layers.0.self_attn.q_proj.weight"];
    const src = f.find((x) => x.module === "layers.0.self_attn.q_proj")!;
    expect(Math.max(...m0.a.map((v, i) => Math.abs(v - src.a[i])))).toBeLessThan(
      Math.max(...src.a.map(Math.abs)) / 128,
    ); // bf16
    expect(loraMismatch(a, TINY_DIT_TURBO_CONFIG)).toBeNull();
  });

  it("single file: per-module .alpha wins, no alpha means scaling 1", () => {
    const p = join(dir, "single.safetensors");
    const [x, y] = f;
    writeSafetensors(p, [
      { name: `${x.module}.lora_down.weight`, dtype: "F32", shape: [4, x.in], data: x.a },
      { name: `${x.module}.lora_up.weight`, dtype: "F32", shape: [x.out, 4], data: x.b },
      { name: `${x.module}.alpha`, dtype: "F32", shape: [], data: Float32Array.of(2) },
      { name: `${y.module}.lora_down.weight`, dtype: "F32", shape: [4, y.in], data: y.a },
      { name: `${y.module}.lora_up.weight`, dtype: "F32", shape: [y.out, 4], data: y.b },
    ]);
    const a = readLoraAdapter(p);
    expect(a.format).toBe("comfyui");
    const scaling = Object.fromEntries(a.modules.map((m) => [m.target, m.scaling]));
    expect(scaling[`decoder.${x.module}.weight`]).toBe(0.5);
    expect(scaling[`decoder.${y.module}.weight`]).toBe(1);
  });

  it("refuses incomplete pairs, rank mismatches and DoRA configs", () => {
    const [x] = f;
    const half = join(dir, "half.safetensors");
    writeSafetensors(half, [
      { name: `base_model.model.${x.module}.lora_A.weight`, dtype: "F32", shape: [4, x.in], data: x.a },
    ]);
    expect(() => readLoraAdapter(half)).toThrow(
      `key "base_model.model.${x.module}.lora_A.weight": has no matching lora_B`,
    );
    const ranks = join(dir, "ranks.safetensors");
    writeSafetensors(ranks, [
      { name: `${x.module}.lora_A.weight`, dtype: "F32", shape: [4, x.in], data: x.a },
      { name: `${x.module}.lora_B.weight`, dtype: "F32", shape: [x.out / 2, 8], data: x.b },
    ]);
    expect(() => readLoraAdapter(ranks)).toThrow(/lora_B\.weight": rank 8 does not match/);
    const dora = join(dir, "dora");
    writePeftAdapter(dora, f, { r: 4, alpha: 4 });
    writeFileSync(
      join(dora, "adapter_config.json"),
      JSON.stringify({ peft_type: "LORA", r: 4, lora_alpha: 4, use_dora: true }),
    );
    expect(() => readLoraAdapter(dora)).toThrow(/DoRA/);
  });
});
