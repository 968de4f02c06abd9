// Symmetric block-wise weight quantisation in the com.microsoft MatMulNBits layout (ORT contrib op):
//   W [N, K] fp32 (checkpoint Linear layout [out, in]) → packed [N, K/block, block·bits/8] uint8,
//   scales [N, K/block] fp32; w ≈ (q − 2^(bits−1)) · scale, q ∈ [0, 2^bits − 1]. For 4 bits two values
//   share a byte, element 2i in the low nibble. No zero-point tensor: MatMulNBits defaults to 2^(bits−1).

export type QuantBits = 4 | 8;

export interface QuantizedMatrix {
  packed: Uint8Array;
  scales: Float32Array;
}

export function quantizeBlockwise(
  w: Float32Array,
  n: number,
  k: number,
  bits: QuantBits,
  block: number,
): QuantizedMatrix {
  if (k % block !== 0) throw new Error(`quantize: in-features ${k} not a multiple of block ${block}`);
  if (w.length !== n * k) throw new Error(`quantize: ${w.length} values for [${n}, ${k}]`);
  const nb = k / block;
  const zp = 1 << (bits - 1);
  const qmax = (1 << bits) - 1;
  const blob = (block * bits) / 8;
  const packed = new Uint8Array(n * nb * blob);
  const scales = new Float32Array(n * nb);
  for (let r = 0; r < n; r++) {
    for (let b = 0; b < nb; b++) {
      const off = r * k + b * block;
      let amax = 0;
      for (let i = 0; i < block; i++) amax = Math.max(amax, Math.abs(w[off + i]));
      const scale = Math.fround(amax / (zp - 1) || 1);
      scales[r * nb + b] = scale;
      const dst = (r * nb + b) * blob;
      for (let i = 0; i < block; i++) {
        const q = Math.min(qmax, Math.max(0, Math.round(w[off + i] / scale) + zp));
        if (bits === 8) packed[dst + i] = q;
        else packed[dst + (i >> 1)] |= i & 1 ? q << 4 : q;
      }
    }
  }
  return { packed, scales };
}

/** The fp32 matrix MatMulNBits computes with (for reference checks). */
export function dequantizeBlockwise(
  m: QuantizedMatrix,
  n: number,
  k: number,
  bits: QuantBits,
  block: number,
): Float32Array {
  const nb = k / block;
  const zp = 1 << (bits - 1);
  const blob = (block * bits) / 8;
  const out = new Float32Array(n * k);
  for (let r = 0; r < n; r++) {
    for (let b = 0; b < nb; b++) {
      const src = (r * nb + b) * blob;
      const scale = m.scales[r * nb + b];
      for (let i = 0; i < block; i++) {
        const q = bits === 8 ? m.packed[src + i] : (m.packed[src + (i >> 1)] >> (i & 1 ? 4 : 0)) & 15;
        out[r * k + b * block + i] = Math.fround((q - zp) * scale);
      }
    }
  }
  return out;
}
