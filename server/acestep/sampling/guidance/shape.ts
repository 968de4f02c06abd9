// Shapes of the velocity tensors guidance works on: `[B, T, C]` row-major Float32Array (C = 64 latent channels).

export interface Shape3 {
  /** batch items */
  B: number;
  /** latent frames */
  T: number;
  /** channels */
  C: number;
}

export function assertShape(name: string, a: ArrayLike<number>, s: Shape3): void {
  if (a.length !== s.B * s.T * s.C) {
    throw new RangeError(`${name} has ${a.length} values, expected B·T·C = ${s.B}·${s.T}·${s.C} = ${s.B * s.T * s.C}`);
  }
}
