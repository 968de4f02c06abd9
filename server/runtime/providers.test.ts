// Execution provider choice. This machine has no CUDA EP binaries, so 'auto' and 'cuda' both end
// on CPU with a reason naming the missing library; on a CUDA install the first test adapts.
import { existsSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { cudaBinariesPresent, cudaProviderLibrary } from "./providers";
import { createSessionHost } from "./session-host";

const hasCuda = existsSync(cudaProviderLibrary());

describe("execution provider choice", () => {
  it("looks for libonnxruntime_providers_cuda.so in onnxruntime-node's bin dir", () => {
    const r = cudaBinariesPresent();
    expect(cudaProviderLibrary()).toMatch(/onnxruntime-node\/bin\/napi-v6\/.*libonnxruntime_providers_cuda\.so$/);
    expect(r.present).toBe(hasCuda && existsSync(cudaProviderLibrary().replace("_cuda.so", "_shared.so")));
    if (!r.present) expect(r.reason).toContain("libonnxruntime_providers_");
  });

  it.skipIf(hasCuda)("falls back to CPU with a reason when CUDA is requested but not installed", async () => {
    const logs: string[] = [];
    const host = createSessionHost({ threads: 1, executionProvider: "cuda", logger: (m) => logs.push(m) });
    try {
      const info = await host.info();
      expect(info).toMatchObject({ provider: "cpu", cudaAvailable: false });
      expect(info.reason).toMatch(
        /^CUDA requested but unavailable: CUDA EP not installed: .*libonnxruntime_providers_cuda\.so is missing/,
      );
      expect(logs).toHaveLength(1);
      expect(logs[0]).toContain("execution provider: cpu");
    } finally {
      await host.close();
    }
  });

  it.skipIf(hasCuda)(
    "probes CUDA with a real session when the files look present, and reports why it failed",
    async () => {
      const host = createSessionHost({
        threads: 1,
        logger: () => {},
        detectCuda: () => ({ present: true, reason: "pretend" }),
      });
      try {
        const info = await host.info();
        expect(info.provider).toBe("cpu");
        // The real ORT error from appending the CUDA EP, e.g. "Failed to load library …providers_shared.so"
        expect(info.reason).toMatch(/^auto: CUDA probe failed, using CPU: .*cuda/i);
        expect(host.loadedIds()).toEqual([]);
      } finally {
        await host.close();
      }
    },
  );

  it.skipIf(hasCuda)("loads a model asked for on CUDA on CPU instead and records the fallback", async () => {
    const { selfTestModelBytes, selfTestFeeds, checkSelfTestOutputs } = await import("./self-test-model");
    const host = createSessionHost({ threads: 1, executionProvider: "cpu", logger: () => {} });
    try {
      const s = await host.load("m", selfTestModelBytes(), { executionProvider: "cuda" });
      expect(s.provider).toBe("cpu");
      expect(checkSelfTestOutputs(await host.run("m", selfTestFeeds()))).toBeNull();
      expect((await host.info()).fallbacks).toEqual([expect.objectContaining({ id: "m", from: "cuda", to: "cpu" })]);
    } finally {
      await host.close();
    }
  });

  it("uses CPU without probing when asked to", async () => {
    const host = createSessionHost({ threads: 1, executionProvider: "cpu", logger: () => {} });
    try {
      expect(await host.info()).toMatchObject({ provider: "cpu", reason: "CPU requested (executionProvider: 'cpu')" });
    } finally {
      await host.close();
    }
  });
});
