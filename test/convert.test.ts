import { beforeAll, describe, expect, it } from "vitest";
import { copyFileSync, cpSync, mkdtempSync, readFileSync, statSync, truncateSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import * as ort from "onnxruntime-node";
import { writeTinyCheckpoints } from "../server/checkpoints";
import { convertCheckpoints } from "../server/models/convert/convert";
import { readManifest } from "../server/models/convert/manifest";
import { parseDtypeSpec } from "../server/models/convert/precision";

let ck: string;
beforeAll(() => {
  ck = mkdtempSync(join(tmpdir(), "acestep-ck-"));
  // the folders these tests convert or refuse (the other tiny models cost seconds to write)
  writeTinyCheckpoints(ck, { only: ["textEncoder", "lm", "vae"] });
});

const onlyQwen = ["Qwen3-Embedding-0.6B", "acestep-5Hz-lm-0.6B"];

describe("models convert", () => {
  it("converts tiny official-layout checkpoints into runnable models with a manifest, and skips unchanged ones", async () => {
    const to = mkdtempSync(join(tmpdir(), "acestep-models-"));
    const r = await convertCheckpoints({ from: ck, to, only: onlyQwen, demo: true });
    expect(r.converted).toEqual(onlyQwen);
    const m = readManifest(to)!;
    expect(m.demo).toBe(true);
    const te = m.entries["Qwen3-Embedding-0.6B"];
    expect(te.component).toBe("text-encoder");
    const onnxFile = te.files.find((f) => f.role === "text_encoder")!;
    expect(onnxFile.inputs).toEqual(["input_ids", "attention_mask"]);
    expect(onnxFile.sha256).toMatch(/^[0-9a-f]{64}$/);
    expect(statSync(join(to, onnxFile.path)).size).toBe(onnxFile.bytes);
    const emb = te.files.find((f) => f.role === "token_embeddings")!;
    expect(emb.tensor).toEqual({ dtype: "BF16", shape: [151669, (te.config as { hidden_size: number }).hidden_size] });

    const s = await ort.InferenceSession.create(join(to, onnxFile.path), { intraOpNumThreads: 1 });
    const ids = new ort.Tensor("int64", BigInt64Array.from([10563n, 2246n, 25n, 479n, 3598n]), [1, 5]);
    const am = new ort.Tensor("int64", BigInt64Array.from([1n, 1n, 1n, 1n, 1n]), [1, 5]);
    const out = await s.run({ input_ids: ids, attention_mask: am });
    expect(out.last_hidden_state.dims).toEqual([1, 5, (te.config as { hidden_size: number }).hidden_size]);

    const again = await convertCheckpoints({ from: ck, to, only: onlyQwen, demo: true });
    expect(again.skipped).toEqual(onlyQwen);
    expect(again.converted).toEqual([]);
  });

  it("converts per-component precisions (--dtype text-encoder=int8,lm=bf16) and records them in the manifest", async () => {
    const to = mkdtempSync(join(tmpdir(), "acestep-models-"));
    const dtype = parseDtypeSpec("text-encoder=int8,lm=bf16");
    await convertCheckpoints({ from: ck, to, only: ["Qwen3-Embedding-0.6B"], demo: true, dtype });
    const te = readManifest(to)!.entries["Qwen3-Embedding-0.6B"];
    expect(te.dtype).toBe("int8");
    const file = te.files.find((f) => f.role === "text_encoder")!;
    expect(readFileSync(join(to, file.path)).includes(Buffer.from("MatMulNBits"))).toBe(true);
    const s = await ort.InferenceSession.create(join(to, file.path), { intraOpNumThreads: 1 });
    const out = await s.run({
      input_ids: new ort.Tensor("int64", BigInt64Array.from([1n, 2n, 3n]), [1, 3]),
      attention_mask: new ort.Tensor("int64", BigInt64Array.from([1n, 1n, 1n]), [1, 3]),
    });
    expect([...(out.last_hidden_state.data as Float32Array)].every(Number.isFinite)).toBe(true);
  });

  it("refuses a precision a component cannot be converted to, naming the component and what it supports", async () => {
    const err = await convertCheckpoints({
      from: ck,
      to: mkdtempSync(join(tmpdir(), "m-")),
      dtype: { vae: "int8" },
    }).catch((e) => e);
    expect(err.name).toBe("ConvertError");
    expect(err.message).toBe("--dtype: vae cannot be converted to int8 (supported: fp32, fp16, bf16)");
    const all = await convertCheckpoints({ from: ck, to: mkdtempSync(join(tmpdir(), "m-")), dtype: "int4" }).catch(
      (e) => e,
    );
    expect(all.message).toMatch(/vae cannot be converted to int4/);
  });

  it("refuses a checkpoint whose tensor shape disagrees with config.json, naming folder and tensor", async () => {
    const bad = mkdtempSync(join(tmpdir(), "acestep-bad-"));
    cpSync(join(ck, "Qwen3-Embedding-0.6B"), join(bad, "Qwen3-Embedding-0.6B"), { recursive: true });
    const cfgPath = join(bad, "Qwen3-Embedding-0.6B", "config.json");
    const cfg = JSON.parse(readFileSync(cfgPath, "utf8"));
    cfg.intermediate_size += 8;
    writeFileSync(cfgPath, JSON.stringify(cfg));
    const err = await convertCheckpoints({ from: bad, to: mkdtempSync(join(tmpdir(), "m-")) }).catch((e) => e);
    expect(err.message).toContain("Qwen3-Embedding-0.6B");
    expect(err.message).toMatch(/layers\.0\.mlp\.(gate|up|down)_proj\.weight/);
  });

  it("refuses truncated and missing weight files with an error naming the file", async () => {
    const bad = mkdtempSync(join(tmpdir(), "acestep-trunc-"));
    cpSync(join(ck, "Qwen3-Embedding-0.6B"), join(bad, "Qwen3-Embedding-0.6B"), { recursive: true });
    const st = join(bad, "Qwen3-Embedding-0.6B", "model.safetensors");
    truncateSync(st, statSync(st).size - 1000);
    const err = await convertCheckpoints({ from: bad, to: mkdtempSync(join(tmpdir(), "m-")) }).catch((e) => e);
    expect(err.message).toMatch(/model\.safetensors/);

    const empty = mkdtempSync(join(tmpdir(), "acestep-empty-"));
    cpSync(join(ck, "Qwen3-Embedding-0.6B"), join(empty, "Qwen3-Embedding-0.6B"), {
      recursive: true,
      filter: (src) => !src.endsWith(".safetensors"),
    });
    const err2 = await convertCheckpoints({ from: empty, to: mkdtempSync(join(tmpdir(), "m-")) }).catch((e) => e);
    expect(err2.message).toContain("Qwen3-Embedding-0.6B");
    expect(err2.message).toMatch(/safetensors/);

    const none = await convertCheckpoints({
      from: join(tmpdir(), "does-not-exist-xyz"),
      to: mkdtempSync(join(tmpdir(), "m-")),
    }).catch((e) => e);
    expect(none.message).toMatch(/does not exist/);
  });

  it("reconverts a component whose source changed", async () => {
    const src = mkdtempSync(join(tmpdir(), "acestep-chg-"));
    cpSync(join(ck, "Qwen3-Embedding-0.6B"), join(src, "Qwen3-Embedding-0.6B"), { recursive: true });
    const to = mkdtempSync(join(tmpdir(), "acestep-models-"));
    await convertCheckpoints({ from: src, to });
    const tok = join(src, "Qwen3-Embedding-0.6B", "tokenizer_config.json");
    copyFileSync(tok, `${tok}.bak`);
    writeFileSync(tok, readFileSync(`${tok}.bak`, "utf8") + "\n");
    const r = await convertCheckpoints({ from: src, to });
    expect(r.converted).toEqual(["Qwen3-Embedding-0.6B"]);
  });
});
