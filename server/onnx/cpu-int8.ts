// Which int8 dot-product instructions MLAS's kernels find on this CPU, for the choice of int8 Linear kernels at
// conversion (server/onnx/int8-linear.ts int8KernelsFor). On x86 MLAS picks its QGEMM (DynamicQuantizeMatMul,
// MatMulInteger) and MatMulNBits CompInt8 kernels at run time from CPUID: with VNNI (AVX512-VNNI, AVX-VNNI, AMX)
// int8 weights multiply exactly at the full rate; with AVX2 alone the int8-weight kernel (VPMADDUBSW) saturates
// in int16, so weights go uint8 (U8U8, exact), and MatMulNBits at hundreds of rows is slower than fp32 Gemm there
// (docs/precision.md, the AVX2 tables).
import { readFileSync } from "node:fs";
import { arch, platform } from "node:os";

/** "vnni": int8 dot products in hardware; "no-vnni": x86 with AVX2 at best; "unknown": not an x86 Linux we can read. */
export type Int8Dot = "vnni" | "no-vnni" | "unknown";

const VNNI_FLAGS = ["avx512_vnni", "avx_vnni", "amx_int8"];

/** The class of a CPU from its /proc/cpuinfo `flags` line. */
export function int8DotFromFlags(flags: readonly string[]): Int8Dot {
  if (flags.some((f) => VNNI_FLAGS.includes(f))) return "vnni";
  return flags.includes("avx2") ? "no-vnni" : "unknown";
}

/**
 * This machine's class; `ACESTEP_INT8_DOT=vnni|no-vnni` overrides it (converting for another machine, tests).
 * Only x86-64 Linux is read (its /proc/cpuinfo); elsewhere "unknown", which keeps the VNNI choices.
 */
export function hostInt8Dot(env: Record<string, string | undefined> = process.env): Int8Dot {
  const forced = env.ACESTEP_INT8_DOT;
  if (forced === "vnni" || forced === "no-vnni") return forced;
  if (forced) throw new Error(`ACESTEP_INT8_DOT must be "vnni" or "no-vnni", got "${forced}"`);
  if (platform() !== "linux" || arch() !== "x64") return "unknown";
  try {
    const line = readFileSync("/proc/cpuinfo", "utf8")
      .split("\n")
      .find((l) => l.startsWith("flags"));
    return line
      ? int8DotFromFlags(
          line
            .slice(line.indexOf(":") + 1)
            .trim()
            .split(/\s+/),
        )
      : "unknown";
  } catch {
    return "unknown";
  }
}
