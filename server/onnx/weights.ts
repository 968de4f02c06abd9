// Weight providers for the ONNX graph builders.
// A provider maps checkpoint key names (e.g. `encoder.lyric_encoder.layers.0.self_attn.q_proj.weight`)
// to fp32 tensors in the checkpoint's own layout (Linear weights are [out, in]). Loaders for safetensors
// implement the same interface; the in-memory one serves tests and small converted parts.

export interface WeightTensor {
  shape: number[];
  data: Float32Array;
}

export interface Weights {
  /** Throws if the key is absent; call `has` first when the key is optional. */
  get(key: string): WeightTensor;
  has(key: string): boolean;
  keys(): Iterable<string>;
}

export class MemoryWeights implements Weights {
  private readonly map = new Map<string, WeightTensor>();

  constructor(entries?: Iterable<[string, WeightTensor]>) {
    if (entries) for (const [k, t] of entries) this.set(k, t);
  }

  set(key: string, tensor: WeightTensor): this {
    const n = tensor.shape.reduce((a, b) => a * b, 1);
    if (n !== tensor.data.length) {
      throw new Error(
        `weights: tensor ${key} has shape [${tensor.shape}] (${n} values) but ${tensor.data.length} values`,
      );
    }
    this.map.set(key, tensor);
    return this;
  }

  get(key: string): WeightTensor {
    const t = this.map.get(key);
    if (!t) throw new Error(`weights: tensor ${key} not found`);
    return t;
  }

  has(key: string): boolean {
    return this.map.has(key);
  }

  keys(): Iterable<string> {
    return this.map.keys();
  }
}

/** A view of another provider under an added key prefix: `withPrefix(w, "model.")` serves key `x` of `w` as `model.x`. */
export function withPrefix(inner: Weights, prefix: string): Weights {
  const strip = (key: string) => {
    if (!key.startsWith(prefix)) throw new Error(`weights: tensor ${key} not found (keys start with ${prefix})`);
    return key.slice(prefix.length);
  };
  return {
    get: (key) => inner.get(strip(key)),
    has: (key) => key.startsWith(prefix) && inner.has(key.slice(prefix.length)),
    keys: function* () {
      for (const k of inner.keys()) yield prefix + k;
    },
  };
}
