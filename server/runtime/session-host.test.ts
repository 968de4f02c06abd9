// SessionHost through the real ORT worker: numbers, dtypes, transfers, load errors, crash
// recovery, abort, provider report and the CUDA-OOM fallback path (simulated).
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { createSessionHost, type SessionHost } from "./session-host";
import { ModelLoadError, RunError, SessionNotLoadedError, WorkerCrashedError } from "./errors";
import { affineModel, dtypesModel, matmulChainModel, writeModels } from "./test-models";
import { fromHalf, toHalf } from "./tiny-onnx";

let host: SessionHost;
const logs: string[] = [];
const files = writeModels({ affine: affineModel() });

beforeAll(() => {
  host = createSessionHost({ threads: 1, testHooks: true, logger: (m) => logs.push(m) });
});
afterAll(async () => {
  await host.close();
  rmSync(files.dir, { recursive: true, force: true });
});

const f32 = (xs: number[]) => ({ type: "float32" as const, dims: [xs.length], data: new Float32Array(xs) });

describe("session host", () => {
  it("loads a model file in the worker and returns the right numbers", async () => {
    const s = await host.load("affine", files.paths.affine);
    expect(s).toMatchObject({ inputNames: ["x"], outputNames: ["y"], provider: "cpu" });
    expect(s.inputMetadata?.[0]).toMatchObject({ name: "x", type: "float32", shape: ["n"] });
    const out = await host.run("affine", { x: f32([1, 2, -3.5]) });
    expect(out.y.type).toBe("float32");
    expect(out.y.dims).toEqual([3]);
    expect(Array.from(out.y.data as Float32Array)).toEqual([3, 5, -6]);
  });

  it("passes int64, float16 and bool tensors both ways", async () => {
    await host.load("dtypes", dtypesModel());
    const halves = [0.5, -2, 3.25, 65504];
    const out = await host.run("dtypes", {
      ids: { type: "int64", dims: [3], data: new BigInt64Array([1n, -2n, 2n ** 40n]) },
      h: { type: "float16", dims: [4], data: Uint16Array.from(halves.map(toHalf)) },
      mask: { type: "bool", dims: [3], data: new Uint8Array([1, 0, 1]) },
    });
    expect(out.ids3.data).toBeInstanceOf(BigInt64Array);
    expect(Array.from(out.ids3.data as BigInt64Array)).toEqual([3n, -6n, 3n * 2n ** 40n]);
    expect(out.hh.type).toBe("float16");
    expect(out.hh.data).toBeInstanceOf(Uint16Array);
    expect(Array.from(out.hh.data as Uint16Array, fromHalf)).toEqual([0.25, 4, 10.5625, Infinity]);
    expect(out.notmask.type).toBe("bool");
    expect(Array.from(out.notmask.data as Uint8Array)).toEqual([0, 1, 0]);
  });

  it("moves feed buffers into the worker by default and copies them with transfer: false", async () => {
    const moved = new Float32Array([1, 2]);
    await host.run("affine", { x: { type: "float32", dims: [2], data: moved } });
    expect(moved.buffer.byteLength).toBe(0); // detached: transferred, not cloned
    const kept = new Float32Array([1, 2]);
    const out = await host.run("affine", { x: { type: "float32", dims: [2], data: kept } }, { transfer: false });
    expect(Array.from(kept)).toEqual([1, 2]);
    expect(Array.from(out.y.data as Float32Array)).toEqual([3, 5]);
  });

  it("fetches only the requested outputs", async () => {
    const out = await host.run(
      "dtypes",
      {
        ids: { type: "int64", dims: [1], data: new BigInt64Array([7n]) },
        h: { type: "float16", dims: [1], data: new Uint16Array([toHalf(1)]) },
        mask: { type: "bool", dims: [1], data: new Uint8Array([0]) },
      },
      { outputs: ["ids3"] },
    );
    expect(Object.keys(out)).toEqual(["ids3"]);
    expect(out.ids3.data).toEqual(new BigInt64Array([21n]));
  });

  it("rejects a feed with the wrong array class, length or a shared buffer, naming the feed", async () => {
    const wrong = { h: { type: "float16", dims: [1], data: new Float32Array([1]) } } as never;
    await expect(host.run("dtypes", wrong)).rejects.toThrow(
      /feed 'h' of model 'dtypes': type float16 needs a Uint16Array, got Float32Array/,
    );
    await expect(host.run("affine", { x: { type: "float32", dims: [3], data: new Float32Array(2) } })).rejects.toThrow(
      /dims \[3\] need 3 elements, got 2/,
    );
    const shared = new Float32Array(new SharedArrayBuffer(8));
    await expect(host.run("affine", { x: { type: "float32", dims: [2], data: shared } })).rejects.toThrow(
      /SharedArrayBuffer/,
    );
  });

  it("explains a feed reused after it was moved, and stays usable after a message that cannot be sent", async () => {
    const x = f32([1, 2]);
    await host.run("affine", { x });
    await expect(host.run("affine", { x })).rejects.toThrow(/feed 'x' of model 'affine': its ArrayBuffer is detached/);
    const bad = { freeDimensionOverrides: { n: (() => 1) as unknown as number } };
    await expect(host.load("unsendable", affineModel(), bad)).rejects.toThrow(
      /cannot send load of 'unsendable' to the worker: .*could not be cloned/,
    );
    expect(Array.from((await host.run("affine", { x: f32([1]) })).y.data as Float32Array)).toEqual([3]);
  });

  it("reports an ORT run failure as a RunError naming the model", async () => {
    const err = await host.run("affine", { y: f32([1]) }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(RunError);
    expect((err as Error).message).toMatch(/run of model 'affine' failed: input 'x' is missing/);
  });

  it("rejects a missing model file with a ModelLoadError naming the file", async () => {
    const path = join(files.dir, "does-not-exist.onnx");
    const err = await host.load("missing", path).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ModelLoadError);
    expect((err as ModelLoadError).file).toBe(path);
    expect((err as Error).message).toContain(path);
    expect((err as Error).message).toContain("missing");
  });

  it("rejects corrupt model bytes and files with a ModelLoadError naming the file, and keeps working", async () => {
    const bad = join(files.dir, "corrupt.onnx");
    writeFileSync(bad, Buffer.from("definitely not a protobuf model"));
    const e1 = await host.load("bad-file", bad).catch((e: unknown) => e);
    expect(e1).toBeInstanceOf(ModelLoadError);
    expect((e1 as Error).message).toContain(bad);
    const e2 = await host
      .load("bad-bytes", new Uint8Array([8, 1, 18, 255, 255]), { fileName: "/models/broken.onnx" })
      .catch((e: unknown) => e);
    expect(e2).toBeInstanceOf(ModelLoadError);
    expect((e2 as ModelLoadError).file).toBe("/models/broken.onnx");
    const out = await host.run("affine", { x: f32([0]) });
    expect(Array.from(out.y.data as Float32Array)).toEqual([1]);
  });

  it("rejects run() on an unknown id without reaching the worker", async () => {
    await expect(host.run("nope", { x: f32([1]) })).rejects.toBeInstanceOf(SessionNotLoadedError);
  });

  it("reports the provider choice once with a reason (CPU here)", async () => {
    const info = await host.info();
    expect(info).toMatchObject({ provider: "cpu", threads: 1, cudaAvailable: false });
    expect(info.reason).toMatch(/CUDA/);
    expect(info.versions.node).toBe("1.30.0");
    expect(logs.filter((l) => l.includes("execution provider")).length).toBe(1);
  });

  it("rejects a queued run when its signal aborts, and runs the others", async () => {
    await host.load("slow", matmulChainModel(512, 30));
    const x = () => ({
      x: { type: "float32" as const, dims: [512, 512], data: new Float32Array(512 * 512).fill(0.01) },
    });
    const ac = new AbortController();
    const first = host.run("slow", x());
    const queued = host.run("slow", x(), { signal: ac.signal });
    const third = host.run("affine", { x: f32([2]) });
    ac.abort();
    await expect(queued).rejects.toMatchObject({ name: "AbortError" });
    expect((await first).y.dims).toEqual([512, 512]);
    expect(Array.from((await third).y.data as Float32Array)).toEqual([5]);
    const pre = new AbortController();
    pre.abort();
    await expect(host.run("affine", { x: f32([2]) }, { signal: pre.signal })).rejects.toMatchObject({
      name: "AbortError",
    });
  });

  it("retries a CUDA run that ran out of memory on CPU and reports the fallback", async () => {
    await host.load("oom", affineModel());
    expect(await host.testSimulateOom("oom", files.paths.affine)).toBe(true);
    const out = await host.run("oom", { x: f32([1]) });
    expect(Array.from(out.y.data as Float32Array)).toEqual([3]);
    const info = await host.info();
    expect(info.fallbacks).toContainEqual(expect.objectContaining({ id: "oom", from: "cuda", to: "cpu" }));
    expect(logs.some((l) => l.includes("'oom' fell back from cuda to cpu"))).toBe(true);
  });

  it("rejects pending calls when the worker dies and restarts it on the next call", async () => {
    const exits: WorkerCrashedError[] = [];
    const off = host.onWorkerExit((e) => exits.push(e));
    const crash = host.testCrash(9);
    const pending = host.run("affine", { x: f32([1]) });
    await expect(crash).rejects.toBeInstanceOf(WorkerCrashedError);
    const err = await pending.catch((e: unknown) => e);
    expect(err).toBeInstanceOf(WorkerCrashedError);
    expect((err as Error).message).toMatch(/worker exited with code 9/);
    expect(exits).toHaveLength(1);
    off();
    expect(host.loadedIds()).toEqual([]);
    await expect(host.run("affine", { x: f32([1]) })).rejects.toThrow(/lost when the ORT worker crashed/);
    await host.load("affine", files.paths.affine);
    const out = await host.run("affine", { x: f32([4]) });
    expect(Array.from(out.y.data as Float32Array)).toEqual([9]);
  });
});
