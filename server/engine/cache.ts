// Output cache across runs, keyed by node signature; least-recently-used entries are
// dropped past an entry count or an estimated byte budget.

export interface CachedOutputs {
  outputs: Record<string, unknown>;
  results: import("../../nodes/define-node").UiResult[];
}

export class OutputCache {
  private readonly map = new Map<string, { value: CachedOutputs; bytes: number }>();
  private bytes = 0;
  hits = 0;
  misses = 0;

  constructor(
    private readonly maxEntries = 500,
    private readonly maxBytes = 4 * 1024 ** 3,
  ) {}

  get(sig: string): CachedOutputs | undefined {
    const e = this.map.get(sig);
    if (!e) {
      this.misses++;
      return undefined;
    }
    this.hits++;
    this.map.delete(sig);
    this.map.set(sig, e);
    return e.value;
  }

  set(sig: string, value: CachedOutputs): void {
    const prev = this.map.get(sig);
    if (prev) this.bytes -= prev.bytes;
    this.map.delete(sig);
    const bytes = estimateBytes(value.outputs);
    this.map.set(sig, { value, bytes });
    this.bytes += bytes;
    while (this.map.size > this.maxEntries || (this.bytes > this.maxBytes && this.map.size > 1)) {
      const [oldest, e] = this.map.entries().next().value as [string, { bytes: number }];
      this.map.delete(oldest);
      this.bytes -= e.bytes;
    }
  }

  clear(): void {
    this.map.clear();
    this.bytes = 0;
  }

  get size(): number {
    return this.map.size;
  }
}

/** Rough size of a value: typed arrays by their bytes, everything else small. */
export function estimateBytes(value: unknown, depth = 0): number {
  if (ArrayBuffer.isView(value)) return value.byteLength;
  if (depth > 6 || value === null || typeof value !== "object") return 16;
  let n = 16;
  for (const v of Array.isArray(value) ? value : Object.values(value)) n += estimateBytes(v, depth + 1);
  return n;
}
