// Host side of the LoRA branches (graph-patch.ts): the stacked factors fed for one target weight.
//   a = [c_1·A_1; c_2·A_2; …]  [Σr, in]     b = [B_1 | B_2 | …]  [out, Σr]     c_k = scale_k · scaling_k
// so b·a = Σ_k c_k · B_k · A_k (the merged delta of every attached adapter, each at its own scale).
import type { TensorData } from "../../runtime";
import type { LoraAdapter } from "./adapter";
import { loraInputA, loraInputB, type LinearSite } from "./graph-patch";

export interface AttachedLora {
  adapter: LoraAdapter;
  scale: number;
}

/** Feeds `lora_a.<key>` / `lora_b.<key>` for every site; a site no adapter touches gets a zero rank-1 pair. */
export function loraFeeds(sites: LinearSite[], attached: AttachedLora[]): Record<string, TensorData> {
  const feeds: Record<string, TensorData> = {};
  for (const site of sites) {
    const parts = attached.flatMap(({ adapter, scale }) => {
      const m = adapter.modules.find((x) => x.target === site.key);
      const c = scale * (m?.scaling ?? 0);
      return m && c !== 0 ? [{ m, c }] : [];
    });
    const rank = Math.max(
      1,
      parts.reduce((s, p) => s + p.m.rank, 0),
    );
    const a = new Float32Array(rank * site.in);
    const b = new Float32Array(site.out * rank);
    let row = 0;
    for (const { m, c } of parts) {
      for (let i = 0; i < m.rank * site.in; i++) a[row * site.in + i] = c * m.a[i];
      for (let o = 0; o < site.out; o++) b.set(m.b.subarray(o * m.rank, (o + 1) * m.rank), o * rank + row);
      row += m.rank;
    }
    feeds[loraInputA(site.key)] = { type: "float32", dims: [rank, site.in], data: a };
    feeds[loraInputB(site.key)] = { type: "float32", dims: [site.out, rank], data: b };
  }
  return feeds;
}
