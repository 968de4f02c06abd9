// Python / torch numeric semantics that the ACE-Step host code depends on.
// Ports the behaviour (not code) of CPython `round(x)`, `round(x, 1)`, `int(x)` and torch's
// float32 → bfloat16 cast (round-to-nearest-even), used by acestep/handler.py
// (`create_target_wavs`) and the model files' `generate_audio` (`round(ratio * steps)`).

/** Python 3 `round(x)` for finite x: round half to even, returns an integer. */
export function pyRound(x: number): number {
  if (!Number.isFinite(x)) throw new RangeError(`pyRound: value ${x} is not finite`);
  const f = Math.floor(x);
  const diff = x - f;
  if (diff < 0.5) return f;
  if (diff > 0.5) return f + 1;
  return f % 2 === 0 ? f : f + 1;
}

/**
 * Python 3 `round(x, 1)`: the double nearest to the decimal obtained by rounding the exact binary
 * value of x to one decimal place, ties to even. `Number.prototype.toFixed` already rounds the exact
 * binary value, but sends exact ties up; exact ties only exist for x·4 odd (…25 / …75), where we
 * choose the even neighbour as CPython does (round(0.25, 1) == 0.2, round(10.75, 1) == 10.8).
 */
export function pyRound1(x: number): number {
  if (!Number.isFinite(x)) throw new RangeError(`pyRound1: value ${x} is not finite`);
  const x4 = x * 4;
  if (Number.isInteger(x4) && !Number.isInteger(x * 2)) {
    const lo = Math.floor(x * 10); // x*10 = k + 0.5 exactly
    const even = lo % 2 === 0 ? lo : lo + 1;
    return even / 10;
  }
  return Number.parseFloat(x.toFixed(1));
}

/** Python `int(x)` for a float: truncation toward zero. */
export function pyInt(x: number): number {
  if (!Number.isFinite(x)) throw new RangeError(`pyInt: value ${x} is not finite`);
  return Math.trunc(x);
}

/** Python `a // b` for floats (CPython `_float_div_mod`: exact fmod, then (a − mod)/b, then floor with a
 *  0.5 correction), which can differ from `Math.floor(a / b)` when a / b rounds up to an integer. */
export function pyFloorDiv(a: number, b: number): number {
  if (b === 0) throw new RangeError("pyFloorDiv: division by zero");
  let mod = a % b;
  let div = (a - mod) / b;
  if (mod !== 0 && b < 0 !== mod < 0) {
    mod += b;
    div -= 1;
  }
  if (div === 0) return 0 * (a / b); // keeps the sign of zero like CPython
  let floordiv = Math.floor(div);
  if (div - floordiv > 0.5) floordiv += 1;
  return floordiv;
}

const f32 = new Float32Array(1);
const u32 = new Uint32Array(f32.buffer);

/** Round a number to float32 then to bfloat16 (round-to-nearest-even), as `tensor.to(torch.bfloat16)`. */
export function toBf16(x: number): number {
  f32[0] = x;
  const bits = u32[0];
  if ((bits & 0x7f800000) === 0x7f800000 && (bits & 0x007fffff) !== 0) return Number.NaN;
  const rounded = (bits + 0x7fff + ((bits >>> 16) & 1)) >>> 0;
  u32[0] = rounded & 0xffff0000;
  return f32[0];
}

/** Storage precision of a tensor on the upstream side. */
export type FloatDtype = "f64" | "fp32" | "bf16";

/** Round one value to the storage precision of `dtype`. */
export function roundTo(x: number, dtype: FloatDtype): number {
  if (dtype === "fp32") return Math.fround(x);
  if (dtype === "bf16") return toBf16(x);
  return x;
}
