// IEEE half (fp16) and bfloat16 <-> fp32 conversion with round-to-nearest-even.
// Scalars work on raw 16-bit patterns (numbers 0..0xffff); the array versions
// convert whole Uint16Array/Float32Array buffers. Inputs to the f32 -> 16-bit
// direction are first rounded to fp32 (as Float32Array storage would).

const f32 = new Float32Array(1);
const u32 = new Uint32Array(f32.buffer);

/** fp32 value -> fp16 bit pattern, round-to-nearest-even; NaN stays NaN (quiet), overflow -> ±inf. */
export function f32ToF16(x: number): number {
  f32[0] = x;
  return f32BitsToF16(u32[0]);
}

function f32BitsToF16(bits: number): number {
  const sign = (bits >>> 16) & 0x8000;
  const exp = (bits >>> 23) & 0xff;
  const mant = bits & 0x7fffff;
  if (exp === 0xff) return mant ? sign | 0x7e00 | (mant >>> 13) : sign | 0x7c00;
  const e = exp - 127 + 15;
  if (e >= 0x1f) return sign | 0x7c00;
  if (e <= 0) {
    // fp16 subnormal (or zero): value = m * 2^-24, m = significand >> (14 - e)
    if (e < -10) return sign;
    const sig = mant | 0x800000;
    const shift = 14 - e;
    const half = 1 << (shift - 1);
    const rem = sig & ((1 << shift) - 1);
    let r = sig >>> shift;
    if (rem > half || (rem === half && r & 1)) r++; // a carry becomes the smallest normal: correct
    return sign | r;
  }
  const rem = mant & 0x1fff;
  let r = (e << 10) | (mant >>> 13);
  if (rem > 0x1000 || (rem === 0x1000 && r & 1)) r++; // a carry may reach 0x7c00 = inf: correct
  return sign | r;
}

/** fp16 bit pattern -> fp32 value (exact). */
export function f16ToF32(h: number): number {
  const sign = h & 0x8000 ? -1 : 1;
  const e = (h >>> 10) & 0x1f;
  const m = h & 0x3ff;
  if (e === 0) return sign * m * 2 ** -24;
  if (e === 0x1f) return m ? NaN : sign * Infinity;
  return sign * (1 + m / 1024) * 2 ** (e - 15);
}

/** fp32 value -> bf16 bit pattern, round-to-nearest-even; NaN stays NaN (quiet bit forced). */
export function f32ToBf16(x: number): number {
  f32[0] = x;
  return f32BitsToBf16(u32[0]);
}

function f32BitsToBf16(bits: number): number {
  if ((bits & 0x7f800000) === 0x7f800000 && bits & 0x7fffff) return ((bits >>> 16) | 0x40) & 0xffff;
  return ((bits + 0x7fff + ((bits >>> 16) & 1)) >>> 16) & 0xffff;
}

/** bf16 bit pattern -> fp32 value (exact). */
export function bf16ToF32(h: number): number {
  u32[0] = (h & 0xffff) << 16;
  return f32[0];
}

let f16Table: Float32Array | undefined;
function halfTable(): Float32Array {
  if (!f16Table) {
    f16Table = new Float32Array(65536);
    for (let h = 0; h < 65536; h++) f16Table[h] = f16ToF32(h);
  }
  return f16Table;
}

export function f32ToF16Array(src: ArrayLike<number>): Uint16Array {
  const out = new Uint16Array(src.length);
  if (src instanceof Float32Array) {
    const bits = new Uint32Array(src.buffer, src.byteOffset, src.length);
    for (let i = 0; i < out.length; i++) out[i] = f32BitsToF16(bits[i]);
  } else for (let i = 0; i < out.length; i++) out[i] = f32ToF16(src[i]);
  return out;
}

export function f16ToF32Array(src: Uint16Array): Float32Array {
  const table = halfTable();
  const out = new Float32Array(src.length);
  for (let i = 0; i < out.length; i++) out[i] = table[src[i]];
  return out;
}

export function f32ToBf16Array(src: ArrayLike<number>): Uint16Array {
  const out = new Uint16Array(src.length);
  if (src instanceof Float32Array) {
    const bits = new Uint32Array(src.buffer, src.byteOffset, src.length);
    for (let i = 0; i < out.length; i++) out[i] = f32BitsToBf16(bits[i]);
  } else for (let i = 0; i < out.length; i++) out[i] = f32ToBf16(src[i]);
  return out;
}

export function bf16ToF32Array(src: Uint16Array): Float32Array {
  const out = new Float32Array(src.length);
  const bits = new Uint32Array(out.buffer);
  for (let i = 0; i < out.length; i++) bits[i] = src[i] << 16;
  return out;
}
