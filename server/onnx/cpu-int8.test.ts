import { describe, expect, it } from "vitest";
import { hostInt8Dot, int8DotFromFlags } from "./cpu-int8";

describe("int8 dot-product class of a CPU", () => {
  it("reads VNNI from AVX-512 VNNI, AVX-VNNI or AMX flags, AVX2 alone as no-vnni", () => {
    // flag lines as /proc/cpuinfo prints them (abridged): Ice Lake server, Alder Lake, Sapphire Rapids, Zen 3, Zen 4
    expect(int8DotFromFlags("fma avx avx2 avx512f avx512bw avx512_vnni".split(" "))).toBe("vnni");
    expect(int8DotFromFlags("fma avx avx2 avx_vnni".split(" "))).toBe("vnni");
    expect(int8DotFromFlags("avx2 avx512f amx_bf16 amx_tile amx_int8".split(" "))).toBe("vnni");
    expect(int8DotFromFlags("fpu sse sse2 fma avx avx2 sha_ni".split(" "))).toBe("no-vnni");
    expect(int8DotFromFlags("avx2 avx512f avx512_bf16 avx512_vnni".split(" "))).toBe("vnni");
    expect(int8DotFromFlags("fpu sse sse2 avx".split(" "))).toBe("unknown");
  });

  it("takes ACESTEP_INT8_DOT over the machine and refuses other values by name", () => {
    expect(hostInt8Dot({ ACESTEP_INT8_DOT: "no-vnni" })).toBe("no-vnni");
    expect(hostInt8Dot({ ACESTEP_INT8_DOT: "vnni" })).toBe("vnni");
    expect(() => hostInt8Dot({ ACESTEP_INT8_DOT: "avx2" })).toThrow(
      /ACESTEP_INT8_DOT must be "vnni" or "no-vnni", got "avx2"/,
    );
    expect(["vnni", "no-vnni", "unknown"]).toContain(hostInt8Dot({}));
  });
});
