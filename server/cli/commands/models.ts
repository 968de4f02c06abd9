// `acestep models fabricate|tiny|convert|list`: fabricate official-layout checkpoints (tiny or full size),
// convert checkpoints to runnable models, and show what a models folder holds.
import { parseArgs } from "node:util";
import { join, resolve } from "node:path";
import {
  CheckpointError,
  fabricateCheckpoints,
  FABRICATE_CATALOG,
  FABRICATE_SIZES,
  type FabricateSize,
  formatFabricationPlan,
  planFabrication,
  TINY_DIT_TURBO_CONFIG,
} from "../../checkpoints";
import { LoraFormatError } from "../../models/lora/adapter";
import { formatLoraReport, inspectLora } from "../../models/lora/inspect";
import { LoraKeyError } from "../../models/lora/keys";
import { LORA_FOLDER } from "../../models/lora/locate";
import { TINY_LORA_NAME, writeTinyLora } from "../../models/lora/write";
import { convertCheckpoints, ConvertError, resolvePrecisions } from "../../models/convert/convert";
import {
  parseDtypeSpec,
  PrecisionError,
  type ComponentPrecisions,
  type ProviderName,
} from "../../models/convert/precision";
import { readManifest } from "../../models/convert/manifest";
import { buildModelList } from "../../models/catalog";
import { loadConfig } from "../../config";

const USAGE = `usage:
  acestep models fabricate --size tiny|full --out <dir> [--components a,b,…] [--dtype bf16|fp32] [--seed N] [--dry-run [--tensors]]
      write random checkpoints in the official layout (components by id or folder: ${FABRICATE_CATALOG.map((c) => c.id).join(", ")})
  acestep models tiny --out <dir> [--seed N] [--only <folder>]...   the same as fabricate --size tiny [--components …]
  acestep models convert --from <checkpoints dir> --to <models dir> [--dtype SPEC] [--provider cpu|cuda] [--only <folder>]... [--force]
      SPEC: fp32|fp16|bf16|int8|int4 for every component, or per component, e.g. dit=int8,lm=int4,vae=bf16
      (components not named take the provider's default; see docs/precision.md)
  acestep models list [--dir <models dir>]
  acestep models lora inspect <adapter folder | .safetensors> [--dir <models dir>] [--json]`;

export async function modelsCommand(argv: string[]): Promise<number> {
  const [sub, ...rest] = argv;
  if (sub === "tiny") return fabricate(["--size", "tiny", ...rest]);
  if (sub === "fabricate") return fabricate(rest);
  if (sub === "convert") {
    const { values } = parseArgs({
      args: rest,
      options: {
        from: { type: "string" },
        to: { type: "string" },
        dtype: { type: "string" },
        provider: { type: "string" },
        only: { type: "string", multiple: true },
        force: { type: "boolean" },
        demo: { type: "boolean" },
      },
    });
    if (!values.from || !values.to) return usage();
    if (values.provider !== undefined && values.provider !== "cpu" && values.provider !== "cuda") {
      console.error(`--provider must be cpu or cuda, got "${values.provider}"`);
      return 2;
    }
    const provider = values.provider as ProviderName | undefined;
    let dtype: ComponentPrecisions | undefined;
    try {
      const base = resolvePrecisions({ provider, demo: values.demo });
      dtype = values.dtype === undefined ? undefined : parseDtypeSpec(values.dtype, base);
    } catch (e) {
      if (!(e instanceof PrecisionError)) throw e;
      console.error(e.message);
      return 2;
    }
    const tty = process.stderr.isTTY;
    try {
      const r = await convertCheckpoints({
        from: resolve(values.from),
        to: resolve(values.to),
        dtype,
        provider,
        only: values.only,
        force: values.force,
        demo: values.demo,
        onProgress: (e) => {
          const width = 20;
          const done = Math.round(((e.index + (e.message === "done" || e.skipped ? 1 : 0.5)) / e.total) * width);
          const line = `[${"#".repeat(done)}${".".repeat(width - done)}] ${e.index + 1}/${e.total} ${e.folder}: ${e.message}`;
          if (tty) process.stderr.write(`\r\x1b[2K${line}${e.message === "done" || e.skipped ? "\n" : ""}`);
          else process.stderr.write(`${line}\n`);
        },
      });
      console.log(`converted: ${r.converted.join(", ") || "none"}; unchanged: ${r.skipped.join(", ") || "none"}`);
      return 0;
    } catch (e) {
      if (e instanceof ConvertError) {
        if (tty) process.stderr.write("\n");
        console.error(e.message);
        return 1;
      }
      throw e;
    }
  }
  if (sub === "list") {
    const { values } = parseArgs({ args: rest, options: { dir: { type: "string" } } });
    const dir = resolve(values.dir ?? loadConfig().modelsDir ?? "models");
    const m = readManifest(dir);
    if (!m) console.error(`no converted models in "${dir}" (run \`acestep models convert\`)`);
    if (m?.demo) console.log("DEMO weights (tiny random models): the audio is noise");
    const entries = m ? Object.values(m.entries) : [];
    const list = buildModelList(entries, { modelsDir: dir, demo: m?.demo ?? false });
    const byName = new Map(entries.map((e) => [e.name, e]));
    console.log("installed:");
    for (const i of list.installed) {
      const e = byName.get(i.name)!;
      const mb = (e.files.reduce((a, f) => a + f.bytes, 0) / 1e6).toFixed(1);
      console.log(
        `  ${i.name.padEnd(30)} ${i.component.padEnd(12)} ${(i.variant ?? "").padEnd(6)} ${e.dtype}  ${e.files.length} files, ${mb} MB`,
      );
    }
    if (list.installed.length === 0) console.log("  none");
    console.log("missing (how to install):");
    for (const x of list.missing) console.log(`  ${x.name.padEnd(30)} ${x.component.padEnd(12)} ${x.howToInstall}`);
    return m ? 0 : 1;
  }
  if (sub === "lora") return loraCommand(rest);
  return usage();
}

function fabricate(args: string[]): number {
  const { values } = parseArgs({
    args,
    options: {
      size: { type: "string" },
      out: { type: "string" },
      components: { type: "string", multiple: true },
      dtype: { type: "string" },
      seed: { type: "string" },
      "dry-run": { type: "boolean" },
      tensors: { type: "boolean" },
      only: { type: "string", multiple: true }, // models tiny's spelling of --components
    },
  });
  const size = values.size as FabricateSize;
  if (!FABRICATE_SIZES.includes(size)) {
    console.error(`--size must be ${FABRICATE_SIZES.join(" or ")}, got "${values.size ?? ""}"`);
    return 2;
  }
  if (!values.out && !values["dry-run"]) return usage();
  if (values.dtype !== undefined && values.dtype !== "bf16" && values.dtype !== "fp32") {
    console.error(`--dtype must be bf16 or fp32, got "${values.dtype}"`);
    return 2;
  }
  const seed = values.seed === undefined ? 0 : Number(values.seed);
  if (!Number.isInteger(seed)) {
    console.error(`--seed must be an integer, got "${values.seed}"`);
    return 2;
  }
  const components = [...(values.components ?? []), ...(values.only ?? [])]
    .flatMap((c) => c.split(","))
    .map((c) => c.trim())
    .filter(Boolean);
  const opts = { size, components, dtype: values.dtype as "bf16" | "fp32" | undefined, seed };
  try {
    if (values["dry-run"]) {
      console.log(formatFabricationPlan(planFabrication(opts), { tensors: values.tensors }));
      return 0;
    }
    const t0 = performance.now();
    const tty = process.stderr.isTTY;
    let lastReport = 0;
    const { dirs } = fabricateCheckpoints(resolve(values.out!), {
      ...opts,
      onProgress: (p) => {
        if (size === "tiny") return;
        const now = performance.now();
        if (p.bytes < p.totalBytes && now - lastReport < 1000) return;
        lastReport = now;
        const line = `${p.folder}: ${(p.bytes / 1e9).toFixed(2)} / ${(p.totalBytes / 1e9).toFixed(2)} GB`;
        process.stderr.write(tty ? `\r\x1b[2K${line}${p.bytes === p.totalBytes ? "\n" : ""}` : `${line}\n`);
      },
    });
    for (const d of Object.values(dirs)) console.log(d);
    if (size === "tiny" && dirs.turbo) {
      // the tiny demo LoRA adapter for the tiny turbo DiT (server/models/lora/write.ts)
      const lora = join(resolve(values.out!), LORA_FOLDER, TINY_LORA_NAME);
      writeTinyLora(lora, TINY_DIT_TURBO_CONFIG, seed);
      console.log(lora);
    }
    console.error(`wrote ${size} (random, demo) checkpoints in ${((performance.now() - t0) / 1000).toFixed(1)} s`);
    return 0;
  } catch (e) {
    if (e instanceof CheckpointError) {
      console.error(e.message);
      return 2;
    }
    throw e;
  }
}

function loraCommand(argv: string[]): number {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: { dir: { type: "string" }, json: { type: "boolean" } },
  });
  const [action, file] = positionals;
  if (action !== "inspect" || !file || positionals.length > 2) return usage();
  const dir = values.dir ?? loadConfig().modelsDir ?? undefined;
  try {
    const r = inspectLora(resolve(file), dir ? resolve(dir) : undefined);
    console.log(values.json ? JSON.stringify(r, null, 2) : formatLoraReport(r));
    return r.fits.some((f) => f.ok) ? 0 : 1;
  } catch (e) {
    if (e instanceof LoraFormatError || e instanceof LoraKeyError || e instanceof CheckpointError) {
      console.error(e.message);
      return 1;
    }
    throw e;
  }
}

function usage(): number {
  console.error(USAGE);
  return 2;
}
