// Seeded standard-normal noise that reproduces `torch.randn` for a `torch.Generator(device).manual_seed(s)`.
// Ports the upstream noise call of `prepare_noise` in acestep/models/*/modeling_acestep_v15_*.py
// (`torch.randn(1, T, 64, generator=gen, device=device, dtype=dtype)` per item) by re-implementing the two
// torch generators it can hit:
//
// * CUDA (the upstream default): Philox4x32-10 (cuRAND / Random123 constants), cuRAND Box–Muller, and the
//   element→thread mapping of ATen's `distribution_elementwise_grid_stride_kernel` (block 256, unroll 4,
//   grid = ceil(n/256) capped at SMs·(maxThreadsPerSM/256)); each element k < stride is value 0 of thread k's
//   first `curand_normal4`. Cross-checked with acestep.cpp `src/philox.h` (same algorithm for the uncapped
//   case). Not run against a GPU here: expect bit parity after bf16 rounding and ≤ a few fp32 ulp otherwise
//   (CUDA's logf/sinf/cosf are not correctly rounded; nvcc fuses the uniform's multiply-add, reproduced).
// * CPU: MT19937 (`at::mt19937`, 32-bit seed), 24-bit uniform floats, and `normal_fill` (n ≥ 16: pairs
//   (j, j+8) of every 16-block, radius·cos / radius·sin, the last block recomputed when n % 16 ≠ 0) or, for
//   n < 16, the serial `at::normal_distribution<double>` with its cached second value. Checked against torch
//   1.13 CPU: exact for n < 16; for n ≥ 16 torch uses Sleef AVX2 log/sin/cos, so ≈80 % of elements match
//   bit for bit and the rest differ by ≤ 5e-7.

import { type FloatDtype, roundTo } from "../numeric";
import { runSteps, type Steps } from "../steps";

/**
 * Values drawn between two yields of the step-wise generators: ~10 ms for the CUDA Philox path in a process's
 * first call (unoptimised code), ~1–2 ms once optimised; a 30 s song's initial noise is 48 000 values per item.
 */
const NOISE_STEP = 8192;

// ---------------------------------------------------------------- Philox4x32-10

const PHILOX_M0 = 0xd2511f53;
const PHILOX_M1 = 0xcd9e8d57;
const PHILOX_W0 = 0x9e3779b9;
const PHILOX_W1 = 0xbb67ae85;

/**
 * High 32 bits of the 64-bit product of two uint32, exact, from 16-bit limbs whose partial sums all stay below
 * 2^32 (Hacker's Delight `mulhu`), so every step is an integer shift or mask.
 */
function mulhi32(a: number, b: number): number {
  const aL = a & 0xffff;
  const aH = a >>> 16;
  const bL = b & 0xffff;
  const bH = b >>> 16;
  const t = aH * bL + ((aL * bL) >>> 16);
  const w1 = (t & 0xffff) + aL * bH;
  return (aH * bH + (t >>> 16) + (w1 >>> 16)) >>> 0;
}

/** Philox4x32-10 into `out` (no allocation). */
function philoxInto(c0: number, c1: number, c2: number, c3: number, k0: number, k1: number, out: Uint32Array): void {
  for (let round = 0; round < 10; round++) {
    if (round > 0) {
      k0 = (k0 + PHILOX_W0) >>> 0;
      k1 = (k1 + PHILOX_W1) >>> 0;
    }
    const hi0 = mulhi32(PHILOX_M0, c0);
    const lo0 = Math.imul(PHILOX_M0, c0) >>> 0;
    const hi1 = mulhi32(PHILOX_M1, c2);
    const lo1 = Math.imul(PHILOX_M1, c2) >>> 0;
    c0 = (hi1 ^ c1 ^ k0) >>> 0;
    c1 = lo1;
    c2 = (hi0 ^ c3 ^ k1) >>> 0;
    c3 = lo0;
  }
  out[0] = c0;
  out[1] = c1;
  out[2] = c2;
  out[3] = c3;
}

/** One Philox4x32-10 block: counter (4 × uint32), key (2 × uint32) → 4 × uint32. */
export function philox4x32_10(counter: readonly number[], key: readonly number[]): [number, number, number, number] {
  const out = new Uint32Array(4);
  philoxInto(counter[0] >>> 0, counter[1] >>> 0, counter[2] >>> 0, counter[3] >>> 0, key[0] >>> 0, key[1] >>> 0, out);
  return [out[0], out[1], out[2], out[3]];
}

const CURAND_2POW32_INV = Math.fround(2.3283064365386963e-10);
const CURAND_2POW32_INV_2PI = Math.fround(1.4629180792671596e-9);
const HALF_INV = Math.fround(CURAND_2POW32_INV / 2);
const HALF_INV_2PI = Math.fround(CURAND_2POW32_INV_2PI * 0.5);

/**
 * cuRAND `_curand_box_muller` in float (multiply-adds fused as nvcc emits them); `both` false computes only the
 * first (sin) value, for callers that use one lane.
 */
function boxMuller(u0: number, u1: number, out: Float64Array, at: number, both = true): void {
  const u = Math.fround(Math.fround(u0) * CURAND_2POW32_INV + HALF_INV);
  const v = Math.fround(Math.fround(u1) * CURAND_2POW32_INV_2PI + HALF_INV_2PI);
  const s = Math.fround(Math.sqrt(Math.fround(-2 * Math.fround(Math.log(u)))));
  out[at] = Math.fround(s * Math.fround(Math.sin(v)));
  if (both) out[at + 1] = Math.fround(s * Math.fround(Math.cos(v)));
}

function splitSeed(seed: number | bigint): [number, number] {
  const s = BigInt.asUintN(64, BigInt(seed));
  return [Number(s & 0xffffffffn), Number(s >> 32n)];
}

const scratch = new Uint32Array(4);

/** The first `lanes` (1–4) values of `curand_normal4` into out[0..lanes−1] (the rest are left as they were). */
function normal4(key: readonly number[], subsequence: number, offset: number, out: Float64Array, lanes = 4): void {
  philoxInto(
    offset >>> 0,
    Math.floor(offset / 4294967296) >>> 0,
    subsequence >>> 0,
    Math.floor(subsequence / 4294967296) >>> 0,
    key[0],
    key[1],
    scratch,
  );
  boxMuller(scratch[0], scratch[1], out, 0, lanes > 1);
  if (lanes > 2) boxMuller(scratch[2], scratch[3], out, 2, lanes > 3);
}

/** `curand_normal4` for (seed, subsequence, offset in 4-value units): 4 float32 normals. */
export function philoxNormal4(seed: number | bigint, subsequence: number, offset: number): Float64Array {
  const out = new Float64Array(4);
  normal4(splitSeed(seed), subsequence, offset, out);
  return out;
}

/** Device properties that decide torch's CUDA grid; omit to assume an uncapped grid (exact whenever
 *  n ≤ SMs·maxThreadsPerSM, e.g. ≤ 270 336 values on an H100 SXM: T ≤ 4224 frames per item). */
export interface CudaDeviceProps {
  multiProcessorCount: number;
  maxThreadsPerMultiProcessor: number;
}

const BLOCK = 256;
const UNROLL = 4;

/** Grid stride (threads) and philox offset increment of one torch CUDA normal_ call. */
export function cudaExecutionPolicy(n: number, device?: CudaDeviceProps): { stride: number; counterOffset: number } {
  let grid = Math.ceil(n / BLOCK);
  if (device)
    grid = Math.min(grid, device.multiProcessorCount * Math.floor(device.maxThreadsPerMultiProcessor / BLOCK));
  grid = Math.max(grid, 1);
  const stride = grid * BLOCK;
  const counterOffset = (Math.floor((n - 1) / (stride * UNROLL)) + 1) * UNROLL;
  return { stride, counterOffset };
}

/** A CUDA `torch.Generator` after `manual_seed(seed)`; successive `randn` calls advance the philox offset. */
export class TorchCudaGenerator {
  private offset = 0;
  constructor(
    readonly seed: number | bigint,
    private readonly device?: CudaDeviceProps,
  ) {}

  /** `torch.randn(n, generator=this, device="cuda", dtype)` flattened. */
  randn(n: number, dtype: FloatDtype = "bf16"): Float32Array {
    return runSteps(this.randnSteps(n, dtype));
  }

  /** randn as steps of NOISE_STEP values (server/acestep/steps.ts). */
  *randnSteps(n: number, dtype: FloatDtype = "bf16"): Steps<Float32Array> {
    const out = new Float32Array(n);
    if (n === 0) return out;
    let done = 0;
    const { stride, counterOffset } = cudaExecutionPolicy(n, this.device);
    const base = this.offset / 4; // curand skipahead(offset) with offset a multiple of 4
    const key = splitSeed(this.seed);
    const vals = new Float64Array(4);
    // element k = loop·stride·4 + lane·stride + thread is value `lane` of thread's curand_normal4 at offset
    // base + loop: one Philox block and two Box–Muller pairs serve all four lanes
    const span = stride * UNROLL;
    for (let loop = 0; loop * span < n; loop++) {
      const k0 = loop * span;
      const threads = Math.min(stride, n - k0);
      for (let thread = 0; thread < threads; thread++) {
        // uncapped grids (stride ≥ n) use lane 0 only: skip the Box–Muller values nobody reads
        normal4(key, thread, base + loop, vals, Math.min(UNROLL, Math.ceil((n - k0 - thread) / stride)));
        for (let lane = 0, k = k0 + thread; lane < UNROLL && k < n; lane++, k += stride)
          out[k] = roundTo(vals[lane], dtype);
        if (++done % NOISE_STEP === 0) yield;
      }
    }
    this.offset += counterOffset;
    return out;
  }
}

// ---------------------------------------------------------------- MT19937 (torch CPU)

/** Standard MT19937 seeded like `at::mt19937(seed)` (only the low 32 bits of the seed are used). */
export class Mt19937 {
  private readonly mt = new Uint32Array(624);
  private index = 624;
  constructor(seed: number | bigint) {
    this.mt[0] = Number(BigInt.asUintN(32, BigInt(seed)));
    for (let i = 1; i < 624; i++) {
      const prev = this.mt[i - 1] ^ (this.mt[i - 1] >>> 30);
      this.mt[i] = (Math.imul(1812433253, prev) + i) >>> 0;
    }
  }

  nextU32(): number {
    if (this.index >= 624) this.twist();
    let y = this.mt[this.index++];
    y ^= y >>> 11;
    y ^= (y << 7) & 0x9d2c5680;
    y ^= (y << 15) & 0xefc60000;
    y ^= y >>> 18;
    return y >>> 0;
  }

  private twist(): void {
    const mt = this.mt;
    for (let k = 0; k < 624; k++) {
      const y = (mt[k] & 0x80000000) | (mt[(k + 1) % 624] & 0x7fffffff);
      mt[k] = mt[(k + 397) % 624] ^ (y >>> 1) ^ (y & 1 ? 0x9908b0df : 0);
    }
    this.index = 0;
  }
}

const TWO_PI_F32 = Math.fround(2 * Math.PI);

/** A CPU `torch.Generator` after `manual_seed(seed)`. */
export class TorchCpuGenerator {
  private readonly mt: Mt19937;
  private cachedNormal: number | null = null;
  constructor(readonly seed: number | bigint) {
    this.mt = new Mt19937(seed);
  }

  /** `uniform_real_distribution<float>`: (x & (2^24−1)) · 2^−24. */
  private uniformF32(): number {
    return (this.mt.nextU32() & 0xffffff) * 2 ** -24;
  }

  /** `uniform_real_distribution<double>` on `random64()` = (hi << 32 | lo) masked to 53 bits · 2^−53. */
  private uniformF64(): number {
    const hi = this.mt.nextU32();
    const lo = this.mt.nextU32();
    return ((hi & 0x1fffff) * 4294967296 + lo) * 2 ** -53;
  }

  private serialNormal(): number {
    if (this.cachedNormal !== null) {
      const v = this.cachedNormal;
      this.cachedNormal = null;
      return v;
    }
    const u1 = this.uniformF64();
    const u2 = this.uniformF64();
    const r = Math.sqrt(-2 * Math.log1p(-u2));
    const theta = 2 * Math.PI * u1;
    this.cachedNormal = r * Math.sin(theta);
    return r * Math.cos(theta);
  }

  /** `torch.randn(n, generator=this)` in float32 on the CPU. */
  randn(n: number): Float32Array {
    return runSteps(this.randnSteps(n));
  }

  /** randn as steps of about NOISE_STEP values (server/acestep/steps.ts). */
  *randnSteps(n: number): Steps<Float32Array> {
    const out = new Float32Array(n);
    if (n < 16) {
      for (let i = 0; i < n; i++) out[i] = Math.fround(this.serialNormal());
      return out;
    }
    for (let i = 0; i < n; i++) {
      out[i] = this.uniformF32();
      if ((i + 1) % NOISE_STEP === 0) yield;
    }
    for (let i = 0; i + 16 <= n; i += 16) {
      normalFill16(out, i);
      if ((i + 16) % NOISE_STEP === 0) yield;
    }
    if (n % 16 !== 0) {
      const start = n - 16;
      for (let i = 0; i < 16; i++) out[start + i] = this.uniformF32();
      normalFill16(out, start);
    }
    return out;
  }
}

function normalFill16(data: Float32Array, at: number): void {
  for (let j = 0; j < 8; j++) {
    const u1 = Math.fround(1 - data[at + j]);
    const u2 = data[at + j + 8];
    const radius = Math.fround(Math.sqrt(Math.fround(-2 * Math.fround(Math.log(u1)))));
    const theta = Math.fround(TWO_PI_F32 * u2);
    data[at + j] = Math.fround(radius * Math.fround(Math.cos(theta)));
    data[at + j + 8] = Math.fround(radius * Math.fround(Math.sin(theta)));
  }
}

// ---------------------------------------------------------------- convenience

export type NoiseBackend = "cuda" | "cpu";

export interface RandnOptions {
  /** Which torch generator to reproduce. Default "cuda" (upstream runs the DiT on CUDA). */
  backend?: NoiseBackend;
  /** Storage dtype of the noise tensor (upstream: the model dtype, bf16 on CUDA). CPU supports fp32 only. */
  dtype?: FloatDtype;
  device?: CudaDeviceProps;
}

/** `torch.randn(n, generator=torch.Generator(device).manual_seed(seed), dtype)` flattened. */
export function seededRandn(seed: number | bigint, n: number, opts: RandnOptions = {}): Float32Array {
  return runSteps(seededRandnSteps(seed, n, opts));
}

/** seededRandn as steps (server/acestep/steps.ts): a caller on the main thread lets the event loop run between them. */
export function seededRandnSteps(seed: number | bigint, n: number, opts: RandnOptions = {}): Steps<Float32Array> {
  const backend = opts.backend ?? "cuda";
  if (backend === "cpu") {
    if (opts.dtype && opts.dtype !== "fp32") throw new RangeError("CPU noise parity is implemented for fp32 only");
    return new TorchCpuGenerator(seed).randnSteps(n);
  }
  return new TorchCudaGenerator(seed, opts.device).randnSteps(n, opts.dtype ?? "bf16");
}
