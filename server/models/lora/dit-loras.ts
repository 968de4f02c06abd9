// LoRA adapters attached to one converted DiT: which of its graphs (dit_step, dit_cross_kv) they touch, the
// patched copies of those graphs (graph-patch.ts, written once per set of touched weights next to the base
// file) and the factor feeds (feeds.ts). Changing scales or switching to adapters that touch the same weights
// only changes feeds: the patched session stays cached. With no adapter or every scale 0 the base graphs run
// unchanged, so the output is bitwise the base model's.
import { createHash } from "node:crypto";
import { existsSync, statSync } from "node:fs";
import type { TensorData } from "../../runtime";
import type { ModelManager } from "../manager";
import type { ManifestEntry } from "../convert/manifest";
import { writeFileAtomicSync } from "../../files/atomic";
import { assertLoraFits, LoraFormatError, readLoraAdapter, type LoraAdapter } from "./adapter";
import { loraFeeds, type AttachedLora } from "./feeds";
import { linearSites, modelBytes, patchLinearsWithLora, readModelProto, type LinearSite } from "./graph-patch";

/** A LoRA as graphs, nodes and the library name it: a PEFT folder or .safetensors file and its scale. */
export interface LoraUse {
  path: string;
  scale: number;
}

/** Bump when graph-patch.ts changes what it writes, so stale patched files are not reused. */
const PATCH_VERSION = 1;
/** DiT graphs that hold decoder Linear weights. */
export const LORA_ROLES = ["dit_step", "dit_cross_kv"] as const;
export type LoraRole = (typeof LORA_ROLES)[number];

const adapterCache = new Map<string, { stamp: string; adapter: LoraAdapter }>();
const siteCache = new Map<string, { stamp: string; sites: Map<string, LinearSite> }>();

/** Size and mtime of a file, or of a folder and its adapter weights: changes when the adapter changes. */
export const stampOf = (path: string) => {
  const s = statSync(path);
  const inner = s.isDirectory() ? statSync(`${path}/adapter_model.safetensors`, { throwIfNoEntry: false }) : undefined;
  return `${s.size}:${s.mtimeMs}:${inner?.size ?? ""}:${inner?.mtimeMs ?? ""}`;
};

/** readLoraAdapter, cached until the file changes. */
export function loadLoraAdapter(path: string): LoraAdapter {
  if (!existsSync(path)) throw new LoraFormatError(`LoRA ${path}: no such file or folder`);
  const stamp = stampOf(path);
  const hit = adapterCache.get(path);
  if (hit && hit.stamp === stamp) return hit.adapter;
  const adapter = readLoraAdapter(path);
  adapterCache.set(path, { stamp, adapter });
  if (adapterCache.size > 16) adapterCache.delete(adapterCache.keys().next().value!);
  return adapter;
}

function sitesOf(path: string): Map<string, LinearSite> {
  const stamp = stampOf(path);
  const hit = siteCache.get(path);
  if (hit && hit.stamp === stamp) return hit.sites;
  const sites = linearSites(readModelProto(path));
  siteCache.set(path, { stamp, sites });
  return sites;
}

export class DitLoras {
  readonly attached: AttachedLora[];
  private readonly feeds = new Map<LoraRole, Record<string, TensorData>>();

  constructor(
    readonly mm: ModelManager,
    readonly entry: ManifestEntry,
    uses: readonly LoraUse[],
  ) {
    this.attached = uses.map((u) => {
      if (!Number.isFinite(u.scale))
        throw new LoraFormatError(`LoRA ${u.path}: scale must be a finite number, got ${u.scale}`);
      const adapter = loadLoraAdapter(u.path);
      assertLoraFits(adapter, entry.config, entry.name);
      return { adapter, scale: u.scale };
    });
    // every target must be a Linear of one of the converted graphs
    const all = new Set(LORA_ROLES.flatMap((r) => [...this.sitesFor(r).keys()]));
    for (const { adapter } of this.attached) {
      const m = adapter.modules.find((x) => !all.has(x.target));
      if (m) {
        throw new LoraFormatError(
          `LoRA ${adapter.path}: key "${m.keyA}" targets ${m.target}, which the converted DiT "${entry.name}" does not compute as a Linear`,
        );
      }
    }
  }

  /** True when some adapter has a nonzero scale. */
  get active(): boolean {
    return this.attached.some((a) => a.scale !== 0);
  }

  private sitesFor(role: LoraRole): Map<string, LinearSite> {
    return sitesOf(this.mm.file(this.entry, role).abs);
  }

  /** The Linear sites of `role` that any attached adapter touches (whatever its scale), sorted by key. */
  touched(role: LoraRole): LinearSite[] {
    const sites = this.sitesFor(role);
    const targets = this.attached.flatMap(({ adapter }) => adapter.modules.map((m) => m.target));
    const keys = new Set(targets.filter((k) => sites.has(k)));
    return [...keys].sort().map((k) => sites.get(k)!);
  }

  /** Runs `role` of the DiT with the adapters applied (the base graph when nothing is active or touched). */
  async run(
    role: LoraRole,
    feeds: Record<string, TensorData>,
    signal?: AbortSignal,
  ): Promise<Record<string, TensorData>> {
    const sites = this.active ? this.touched(role) : [];
    if (sites.length === 0) return this.mm.run(this.entry, role, feeds, signal);
    const base = this.mm.file(this.entry, role);
    const keys = sites.map((s) => s.key);
    const variant = createHash("sha256")
      .update(`${PATCH_VERSION}\n${base.sha256}\n${keys.join("\n")}`)
      .digest("hex")
      .slice(0, 16);
    let extra = this.feeds.get(role);
    if (!extra) this.feeds.set(role, (extra = loraFeeds(sites, this.attached)));
    return this.mm.runDerived(
      this.entry,
      role,
      `lora-${variant}`,
      (b) => {
        const path = b.abs.replace(/\.onnx$/, "") + `.lora-${variant}.onnx`;
        if (!existsSync(path)) writeFileAtomicSync(path, modelBytes(patchLinearsWithLora(readModelProto(b.abs), keys)));
        return path;
      },
      { ...feeds, ...extra },
      signal,
    );
  }
}
