// Load LoRA: attaches a LoRA adapter (official PEFT folder or ComfyUI-style .safetensors) with a scale to a DiT.
// Stackable: each node adds one adapter to the DIT handle; the DiT Sampler applies them all (server/models/lora).
import { defineNode, type NodeContext } from "../define-node";
import { param } from "../params";
import { modelsOf } from "./loaders";
import type { ModelHandle } from "../values";
import type { NodeServices } from "../services";
import { NodeError } from "../errors";
import { PathEscapeError } from "../../server/files/confine";
import { assertLoraFits, LoraFormatError } from "../../server/models/lora/adapter";
import { loadLoraAdapter, stampOf } from "../../server/models/lora/dit-loras";
import { LoraKeyError } from "../../server/models/lora/keys";
import { resolveLoraPath } from "../../server/models/lora/locate";

function locate(file: string, services: NodeServices): string {
  const mm = modelsOf(services);
  try {
    return resolveLoraPath(file, { dataDir: services.dataDir, modelsDir: mm.modelsDir });
  } catch (e) {
    if (e instanceof LoraFormatError || e instanceof PathEscapeError) throw new NodeError(e.message, "file");
    throw e;
  }
}

async function attach(dit: ModelHandle, file: string, scale: number, ctx: NodeContext): Promise<ModelHandle> {
  const path = locate(file, ctx.services);
  const mm = modelsOf(ctx.services);
  try {
    const adapter = loadLoraAdapter(path);
    const entry = await mm.find("dit", dit.id);
    assertLoraFits(adapter, entry.config, entry.name);
    const ranks = [...new Set(adapter.modules.map((m) => m.rank))].join("/");
    ctx.log(`LoRA ${file}: ${adapter.format}, ${adapter.modules.length} modules, rank ${ranks}, scale ${scale}`);
  } catch (e) {
    if (e instanceof LoraFormatError || e instanceof LoraKeyError) throw new NodeError(e.message, "file");
    throw e;
  }
  return { ...dit, loras: [...(dit.loras ?? []), { path, scale }] };
}

export const LoadLoraNode = defineNode({
  type: "models.lora",
  title: "Load LoRA",
  category: "loaders",
  description:
    "Attaches a LoRA adapter to the DiT (official PEFT folder with adapter_config.json, or a " +
    "ComfyUI-style .safetensors), with its own scale; chain several to stack them.",
  inputs: { dit: { type: "DIT" } },
  outputs: { dit: { type: "DIT" } },
  params: {
    file: param.string({
      default: "",
      maxLength: 500,
      description: "Adapter folder or .safetensors file, relative to the loras/ folder of the data or models folder",
    }),
    scale: param.float({
      default: 1,
      min: -4,
      max: 4,
      step: 0.05,
      ui: "slider",
      description: "LoRA scale: 0 = off (the base model exactly), 1 = as trained",
    }),
  },
  fingerprint: (p, services) => {
    try {
      const path = locate(p.file, services);
      return `${path}:${stampOf(path)}`;
    } catch {
      return "unavailable";
    }
  },
  run: async ({ inputs, params }, ctx) => ({ dit: await attach(inputs.dit, params.file, params.scale, ctx) }),
});
