// What models exist upstream and which of them are installed here: the data behind models.list (tRPC),
// `acestep models list` and the library's listModels. Upstream names and download locations follow
// ace-step/ACE-Step-1.5 acestep/model_downloader.py (MAIN_MODEL_REPO, MAIN_MODEL_COMPONENTS, SUBMODEL_REGISTRY).
import type { Component } from "../checkpoints/layout";
import type { ManifestEntry } from "./convert/manifest";
import { ModelsUnavailableError, type ModelManager } from "./manager";
import type { ModelVariant } from "../acestep/tasks/instructions";

/** Component names as the editor and the API use them. */
export type ModelComponent = "dit" | "lm" | "vae" | "textEncoder";

export interface InstalledModel {
  component: ModelComponent;
  /** The folder name, as loader nodes and GenerateOptions.models take it. */
  name: string;
  label: string;
  /** True for the tiny random demo weights. */
  demo: boolean;
  /** turbo | base | sft for DiTs, 0.6B | 1.7B | 4B for LMs. */
  variant?: string;
}

export interface MissingModel {
  component: ModelComponent;
  name: string;
  label: string;
  /** Exact commands that make the model available. */
  howToInstall: string;
}

export interface ModelList {
  installed: InstalledModel[];
  missing: MissingModel[];
}

/** The main upstream repository: turbo DiT, VAE, text encoder and the 1.7B LM as sub-folders. */
export const MAIN_MODEL_REPO = "ACE-Step/Ace-Step1.5";

interface CatalogEntry {
  name: string;
  component: ModelComponent;
  label: string;
  variant?: string;
  /** Hugging Face repository; MAIN_MODEL_REPO holds the folder as a sub-folder. */
  repo: string;
}

/** The upstream models this project converts and runs (the XL 4B DiTs are not supported yet). */
export const MODEL_CATALOG: readonly CatalogEntry[] = [
  {
    name: "acestep-v15-turbo",
    component: "dit",
    label: "DiT turbo (8 steps)",
    variant: "turbo",
    repo: MAIN_MODEL_REPO,
  },
  {
    name: "acestep-v15-sft",
    component: "dit",
    label: "DiT SFT (50 steps, CFG)",
    variant: "sft",
    repo: "ACE-Step/acestep-v15-sft",
  },
  {
    name: "acestep-v15-base",
    component: "dit",
    label: "DiT base (all tasks, CFG)",
    variant: "base",
    repo: "ACE-Step/acestep-v15-base",
  },
  {
    name: "acestep-v15-turbo-shift1",
    component: "dit",
    label: "DiT turbo, shift 1",
    variant: "turbo",
    repo: "ACE-Step/acestep-v15-turbo-shift1",
  },
  {
    name: "acestep-v15-turbo-shift3",
    component: "dit",
    label: "DiT turbo, shift 3",
    variant: "turbo",
    repo: "ACE-Step/acestep-v15-turbo-shift3",
  },
  {
    name: "acestep-v15-turbo-continuous",
    component: "dit",
    label: "DiT turbo, continuous shift",
    variant: "turbo",
    repo: "ACE-Step/acestep-v15-turbo-continuous",
  },
  {
    name: "acestep-5Hz-lm-0.6B",
    component: "lm",
    label: "5 Hz LM 0.6B",
    variant: "0.6B",
    repo: "ACE-Step/acestep-5Hz-lm-0.6B",
  },
  { name: "acestep-5Hz-lm-1.7B", component: "lm", label: "5 Hz LM 1.7B", variant: "1.7B", repo: MAIN_MODEL_REPO },
  {
    name: "acestep-5Hz-lm-4B",
    component: "lm",
    label: "5 Hz LM 4B",
    variant: "4B",
    repo: "ACE-Step/acestep-5Hz-lm-4B",
  },
  { name: "vae", component: "vae", label: "Oobleck VAE", repo: MAIN_MODEL_REPO },
  {
    name: "Qwen3-Embedding-0.6B",
    component: "textEncoder",
    label: "Qwen3-Embedding-0.6B text encoder",
    repo: MAIN_MODEL_REPO,
  },
];

export function modelComponent(c: Component): ModelComponent {
  return c === "text-encoder" ? "textEncoder" : c;
}

/** DiT checkpoint families (server/acestep/tasks/instructions.ts MODEL_VARIANTS). */
export type DitVariant = ModelVariant;

/** A DiT's variant from its config (is_turbo, model_version) or folder name. */
export function ditVariant(name: string, config: Record<string, unknown>): DitVariant {
  const version = String(config.model_version ?? "");
  if (config.is_turbo === true || /turbo/i.test(name) || /turbo/i.test(version)) return "turbo";
  return /sft/i.test(name) || /sft/i.test(version) ? "sft" : "base";
}

/** The variant of a converted model: DiT turbo / base / sft, LM size from its name. */
export function variantOf(
  component: ModelComponent,
  name: string,
  config: Record<string, unknown>,
): string | undefined {
  if (component === "dit") return ditVariant(name, config);
  if (component === "lm") return /(\d+(?:\.\d+)?B)\b/i.exec(name)?.[1]?.toUpperCase();
  return undefined;
}

/** Commands that download a catalogue model and convert it into `modelsDir`. */
export function howToInstall(entry: CatalogEntry, modelsDir: string, demo: boolean): string {
  const download =
    entry.repo === MAIN_MODEL_REPO
      ? `huggingface-cli download ${MAIN_MODEL_REPO} --include "${entry.name}/*" --local-dir checkpoints`
      : `huggingface-cli download ${entry.repo} --local-dir checkpoints/${entry.name}`;
  const target = demo ? "models" : modelsDir;
  const convert = `acestep models convert --from checkpoints --to ${target} --only ${entry.name}`;
  const env = demo ? `; then start with ACESTEP_MODELS=${target} (demo weights are in use now)` : "";
  return `${download} && ${convert}${env}`;
}

function installedOf(entry: ManifestEntry, demo: boolean): InstalledModel {
  const component = modelComponent(entry.component);
  const known = MODEL_CATALOG.find((c) => c.name === entry.name);
  const variant = variantOf(component, entry.name, entry.config);
  const label = `${known?.label ?? entry.name}${demo ? " (demo)" : ""}`;
  return { component, name: entry.name, label, demo, ...(variant ? { variant } : {}) };
}

/**
 * The model list for converted `entries`: installed ones (in demo mode also every tiny demo model in `demoNames`,
 * converted on first use) and the catalogue models that are not, each with the commands that install it.
 */
export function buildModelList(
  entries: readonly ManifestEntry[],
  o: { modelsDir: string; demo: boolean; demoNames?: readonly string[] },
): ModelList {
  const installed = entries.map((e) => installedOf(e, o.demo));
  for (const name of o.demoNames ?? []) {
    const known = MODEL_CATALOG.find((c) => c.name === name);
    if (!known || installed.some((m) => m.name === name)) continue;
    const variant = known.variant;
    installed.push({
      component: known.component,
      name,
      label: `${known.label} (demo)`,
      demo: true,
      ...(variant ? { variant } : {}),
    });
  }
  const order = (m: { name: string }) => {
    const i = MODEL_CATALOG.findIndex((c) => c.name === m.name);
    return i < 0 ? MODEL_CATALOG.length : i;
  };
  installed.sort((a, b) => order(a) - order(b) || a.name.localeCompare(b.name));
  const missing = MODEL_CATALOG.filter((c) => !installed.some((m) => m.name === c.name)).map((c) => ({
    component: c.component,
    name: c.name,
    label: c.label,
    howToInstall: howToInstall(c, o.modelsDir, o.demo),
  }));
  return { installed, missing };
}

/** The model list of a model manager (an empty models folder lists everything as missing). */
export async function listModels(mm: ModelManager): Promise<ModelList> {
  let entries: ManifestEntry[] = [];
  try {
    entries = Object.values((await mm.ready()).entries);
  } catch (e) {
    if (!(e instanceof ModelsUnavailableError)) throw e;
  }
  return buildModelList(entries, { modelsDir: mm.modelsDir, demo: mm.demo, demoNames: mm.demoModelNames() });
}
