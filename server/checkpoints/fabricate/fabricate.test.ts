// The fabricator: the --size full dry-run listing against the official parameter counts, key shapes, config
// values and file layout (no full tensors written); tiny trees of every component written, validated and equal
// to their own listing; streamed chunks equal to whole-tensor generation.
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { modelsCommand } from "../../cli/commands/models";
import { validateCheckpointDir } from "../layout/validate";
import { expectedKeys } from "../layout";
import { openCheckpointWeights } from "../weights";
import { initTensor, initTensorChunks } from "../tiny/init";
import { createPoolRng } from "../tiny/prng";
import { FABRICATE_CATALOG } from "./catalog";
import { fabricateCheckpoints, planFabrication, type PlannedComponent } from "./fabricate";

const full = planFabrication({ size: "full", components: FABRICATE_CATALOG.map((c) => c.id) });
const byId = (plan: PlannedComponent[], id: string) => plan.find((p) => p.id === id)!;
const shapeOf = (p: PlannedComponent, name: string) => p.tensors.find((t) => t.name === name)?.shape;
const weightFiles = (p: PlannedComponent) => p.files.map((f) => f.file).filter((f) => f.includes("safetensors"));

describe("fabricate --size full (dry-run listing)", () => {
  it("lists every supported component under its official folder name", () => {
    expect(full.map((p) => p.folder)).toEqual([
      "acestep-v15-turbo",
      "acestep-v15-base",
      "acestep-v15-sft",
      "vae",
      "Qwen3-Embedding-0.6B",
      "acestep-5Hz-lm-0.6B",
      "acestep-5Hz-lm-1.7B",
      "acestep-5Hz-lm-4B",
    ]);
  });

  it("gives the DiT variants the official config values, key set and 2.39 B parameters in one bf16 model.safetensors", () => {
    for (const id of ["turbo", "base", "sft"]) {
      const p = byId(full, id);
      expect(p.params).toBe(2_393_872_518);
      expect(p.config).toMatchObject({
        hidden_size: 2048,
        num_hidden_layers: 24,
        num_attention_heads: 16,
        num_key_value_heads: 8,
        timbre_fix_frame: 750,
        in_channels: 192,
      });
      expect(weightFiles(p)).toEqual(["model.safetensors"]);
      expect(p.files.map((f) => f.file)).toContain("silence_latent.pt");
      expect(p.tensors.every((t) => t.dtype === "BF16" && t.file === "model.safetensors")).toBe(true);
      expect(shapeOf(p, "decoder.proj_in.1.weight")).toEqual([2048, 192, 2]);
      expect(shapeOf(p, "decoder.layers.23.cross_attn.k_proj.weight")).toEqual([1024, 2048]);
      expect(shapeOf(p, "encoder.timbre_encoder.embed_tokens.weight")).toEqual([2048, 64]);
      expect(shapeOf(p, "null_condition_emb")).toEqual([1, 1, 2048]);
      expect(p.files.find((f) => f.file === "model.safetensors")!.bytes).toBe(2 * 2_393_872_518);
    }
    expect(byId(full, "turbo").config).toMatchObject({ is_turbo: true, model_version: "turbo" });
    expect(byId(full, "sft").config).toMatchObject({ is_turbo: false, model_version: "sft" });
  });

  it("gives the VAE diffusers' file name and the Oobleck shapes, the text encoder unprefixed Qwen3 keys", () => {
    const vae = byId(full, "vae");
    expect(weightFiles(vae)).toEqual(["diffusion_pytorch_model.safetensors"]);
    expect(vae.params / 1e6).toBeCloseTo(168.7, 0);
    expect(shapeOf(vae, "decoder.block.1.conv_t1.weight_v")).toEqual([1024, 512, 12]);
    const te = byId(full, "text-encoder");
    expect(te.config).toMatchObject({ hidden_size: 1024, num_hidden_layers: 28, vocab_size: 151669 });
    expect(shapeOf(te, "embed_tokens.weight")).toEqual([151669, 1024]);
    expect(shapeOf(te, "layers.27.mlp.down_proj.weight")).toEqual([1024, 3072]);
    expect(te.files.map((f) => f.file)).toEqual([
      "config.json",
      "model.safetensors",
      "tokenizer.json",
      "tokenizer_config.json",
    ]);
  });

  it("sizes the three LMs like Qwen3-0.6B/1.7B/4B with the 217 204-token vocabulary; only the 4B is sharded (5 GB shards + index)", () => {
    const sizes = {
      "lm-0.6B": [1024, 3072, 28, 16],
      "lm-1.7B": [2048, 6144, 28, 16],
      "lm-4B": [2560, 9728, 36, 32],
    } as const;
    for (const [id, [hidden, inter, layers, heads]] of Object.entries(sizes)) {
      const p = byId(full, id);
      expect(p.config).toMatchObject({
        hidden_size: hidden,
        intermediate_size: inter,
        num_hidden_layers: layers,
        num_attention_heads: heads,
        num_key_value_heads: 8,
        vocab_size: 217204,
        tie_word_embeddings: true,
      });
      expect(shapeOf(p, "model.embed_tokens.weight")).toEqual([217204, hidden]);
      expect(shapeOf(p, `model.layers.${layers - 1}.self_attn.q_proj.weight`)).toEqual([heads * 128, hidden]);
      expect(shapeOf(p, "lm_head.weight")).toBeUndefined();
    }
    expect(byId(full, "lm-0.6B").params / 1e9).toBeCloseTo(0.66, 2);
    expect(byId(full, "lm-1.7B").params / 1e9).toBeCloseTo(1.85, 2);
    expect(byId(full, "lm-4B").params / 1e9).toBeCloseTo(4.19, 2);
    expect(weightFiles(byId(full, "lm-1.7B"))).toEqual(["model.safetensors"]);
    const lm4 = byId(full, "lm-4B");
    expect(weightFiles(lm4)).toEqual([
      "model-00001-of-00002.safetensors",
      "model-00002-of-00002.safetensors",
      "model.safetensors.index.json",
    ]);
    for (const f of lm4.files.filter((x) => x.bytes !== undefined)) expect(f.bytes).toBeLessThanOrEqual(5e9);
    expect(new Set(lm4.tensors.map((t) => t.file))).toEqual(
      new Set(["model-00001-of-00002.safetensors", "model-00002-of-00002.safetensors"]),
    );
  });

  it("doubles the bytes with --dtype fp32, selects components and names unknown ones", () => {
    const [f32] = planFabrication({ size: "full", components: ["vae"], dtype: "fp32" });
    expect(f32.tensors.every((t) => t.dtype === "F32")).toBe(true);
    expect(f32.files[1].bytes).toBe(2 * byId(full, "vae").files[1].bytes!);
    expect(planFabrication({ size: "full" }).map((p) => p.id)).toEqual(["turbo", "vae", "text-encoder", "lm-0.6B"]);
    expect(() => planFabrication({ size: "full", components: ["lm-8B"] })).toThrow(
      /unknown component\(s\) "lm-8B" \(known: turbo \(acestep-v15-turbo\), base \(acestep-v15-base\)/,
    );
  });

  it("prints the listing from the CLI without writing anything", async () => {
    const out: string[] = [];
    const log = vi.spyOn(console, "log").mockImplementation((m: string) => void out.push(m));
    try {
      expect(
        await modelsCommand(["fabricate", "--size", "full", "--components", "lm-4B", "--dry-run", "--tensors"]),
      ).toBe(0);
    } finally {
      log.mockRestore();
    }
    const text = out.join("\n");
    expect(text).toMatch(/^acestep-5Hz-lm-4B\/ {2}lm, 398 tensors, 4\.190 B parameters, 8\.38 GB of weights/);
    expect(text).toContain(
      "tensor model.embed_tokens.weight BF16 [217204, 2560] 1112084480 model-00001-of-00002.safetensors",
    );
    expect(text).toContain("file model.safetensors.index.json");
  });
});

describe("fabricate --size tiny", () => {
  let tmp: string;
  let written: ReturnType<typeof fabricateCheckpoints>;
  beforeAll(() => {
    tmp = fs.mkdtempSync(path.join(os.tmpdir(), "fabricate-test-"));
    written = fabricateCheckpoints(tmp, {
      size: "tiny",
      components: FABRICATE_CATALOG.map((c) => c.id),
      seed: 5,
      maxShardBytes: 2e6,
    });
  });
  afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

  it("writes every component so that it validates against its config.json", () => {
    for (const p of written.plan) {
      const r = validateCheckpointDir(written.dirs[p.id], p.component);
      expect(r.issues).toEqual([]);
    }
  });

  it("writes exactly the listed files and tensors (names, shapes, dtypes, shard of each)", () => {
    for (const p of written.plan) {
      const dir = written.dirs[p.id];
      expect(fs.readdirSync(dir).sort()).toEqual(p.files.map((f) => f.file).sort());
      const w = openCheckpointWeights(dir);
      try {
        expect(w.keys().sort()).toEqual(p.tensors.map((t) => t.name).sort());
        for (const t of p.tensors) {
          const info = w.info(t.name);
          expect([info.shape, info.dtype, path.basename(info.file)]).toEqual([t.shape, t.dtype, t.file]);
        }
      } finally {
        w.close();
      }
    }
    expect(weightFiles(byId(written.plan, "lm-4B")).length).toBeGreaterThan(2); // sharded at maxShardBytes
  });

  it("gives each variant its own weights", () => {
    const read = (id: string) => {
      const w = openCheckpointWeights(written.dirs[id]);
      try {
        return Array.from(w.getFloat32("decoder.proj_in.1.weight").data.subarray(0, 8));
      } finally {
        w.close();
      }
    };
    expect(read("sft")).not.toEqual(read("base"));
  });
});

describe("streamed weight generation", () => {
  const layout = expectedKeys("vae", planFabrication({ size: "tiny", components: ["vae"] })[0].config);
  const concat = (chunks: Iterable<Float32Array>) => Float32Array.from([...chunks].flatMap((c) => Array.from(c)));

  it("gives the same values in chunks as at once, weight-norm magnitudes included", () => {
    for (const key of [
      "decoder.block.1.conv_t1.weight_v",
      "decoder.block.1.conv_t1.weight_g",
      "decoder.snake1.alpha",
    ]) {
      const shape = layout.get(key)!;
      expect(concat(initTensorChunks(key, shape, layout, 9, { chunkElements: 1000 }))).toEqual(
        initTensor(key, shape, layout, 9),
      );
    }
  });

  it("fast (pool) normals have the requested mean and std and follow the seed", () => {
    const x = createPoolRng(3).fillNormal(new Float32Array(200_000), 0.02, 1);
    const mean = x.reduce((s, v) => s + v, 0) / x.length;
    const std = Math.sqrt(x.reduce((s, v) => s + (v - mean) ** 2, 0) / x.length);
    expect(mean).toBeCloseTo(1, 3);
    expect(std).toBeCloseTo(0.02, 3);
    expect(createPoolRng(3).fillNormal(new Float32Array(4), 1)).toEqual(
      createPoolRng(3).fillNormal(new Float32Array(4), 1),
    );
    expect(createPoolRng(4).fillNormal(new Float32Array(4), 1)).not.toEqual(
      createPoolRng(3).fillNormal(new Float32Array(4), 1),
    );
  });
});
