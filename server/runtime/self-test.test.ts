// Start-up self-test and the half-float helpers it relies on.
import { describe, expect, it } from "vitest";
import { createSessionHost } from "./session-host";
import { runtimeInfo } from "./self-test";
import { fromHalf, toHalf } from "./tiny-onnx";

describe("runtime self-test", () => {
  it("runs the tiny model in the worker and reports versions and provider", async () => {
    const host = createSessionHost({ threads: 1, logger: () => {} });
    try {
      const info = await runtimeInfo(host);
      expect(info.selfTest).toMatchObject({ ok: true });
      expect(info.selfTest.error).toBeUndefined();
      expect(info.versions).toMatchObject({ common: "1.30.0", node: "1.30.0" });
      expect(info.provider).toBe("cpu");
      expect(info.node).toBe(process.versions.node);
      expect(await runtimeInfo(host)).toBe(info); // cached per host
      expect(host.loadedIds()).toEqual([]); // the test model is unloaded again
    } finally {
      await host.close();
    }
  });

  it("starts, tests and closes a temporary host when none is given", async () => {
    const info = await runtimeInfo();
    expect(info.selfTest.ok).toBe(true);
    expect(info.threads).toBe(1);
  });
});

describe("half floats", () => {
  it("round-trips representable values and rounds to nearest even", () => {
    for (const v of [0, -0, 1, -1.5, 0.333251953125, 65504, 2 ** -24, 2 ** -14, Infinity, -Infinity]) {
      expect(Object.is(fromHalf(toHalf(v)), v)).toBe(true);
    }
    expect(fromHalf(toHalf(1 + 2 ** -11))).toBe(1); // tie → even
    expect(fromHalf(toHalf(1 + 3 * 2 ** -11))).toBe(1 + 2 ** -9);
    expect(fromHalf(toHalf(70000))).toBe(Infinity);
    expect(Number.isNaN(fromHalf(toHalf(NaN)))).toBe(true);
  });
});
