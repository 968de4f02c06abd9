// Model loaders: pick a converted model (or the demo weights) by its folder name.
import { defineNode, type NodeContext } from "../define-node";
import { param } from "../params";
import type { ModelHandle } from "../values";
import type { NodeServices } from "../services";
import { NodeError } from "../errors";
import type { Component } from "../../server/checkpoints/layout";
import type { ModelManager } from "../../server/models/manager";
import type { ModelComponent } from "../../server/models/catalog";

export function modelsOf(services: NodeServices): ModelManager {
  if (!services.models) throw new NodeError("no model manager is configured in this process");
  return services.models;
}

async function load(
  kind: ModelHandle["kind"],
  component: Component,
  p: { name: string; offload: boolean },
  ctx: NodeContext,
): Promise<ModelHandle> {
  const mm = modelsOf(ctx.services);
  try {
    const e = await mm.find(component, p.name || undefined);
    return { kind, id: e.name, name: e.name, demo: mm.demo, config: e.config, ...(p.offload ? { offload: true } : {}) };
  } catch (err) {
    throw new NodeError((err as Error).message, "name");
  }
}

const offloadParam = () =>
  param.boolean({
    default: false,
    advanced: true,
    description:
      "Unload the model once the rest of the run does not need it (upstream offload_to_cpu: less memory, reloads next time)",
  });

const nameParam = (what: string, component: ModelComponent) =>
  param.model({ component, description: `Model folder name in the models folder; empty = the default ${what}` });
const fingerprint = (component: Component) => async (p: { name: string }, services: NodeServices) => {
  try {
    const mm = modelsOf(services);
    return (await mm.find(component, p.name || undefined)).sourceFingerprint;
  } catch {
    return "unavailable";
  }
};

export const LoadDitNode = defineNode({
  type: "models.dit",
  title: "Load DiT",
  category: "loaders",
  description: "The ACE-Step DiT (turbo, base or sft) with its condition encoders and audio tokenizer.",
  inputs: {},
  outputs: { dit: { type: "DIT" } },
  params: { name: nameParam("DiT (turbo)", "dit"), offload: offloadParam() },
  fingerprint: fingerprint("dit"),
  run: async ({ params }, ctx) => ({ dit: await load("DIT", "dit", params, ctx) }),
});

export const LoadVaeNode = defineNode({
  type: "models.vae",
  title: "Load VAE",
  category: "loaders",
  description: "The Oobleck audio VAE (48 kHz stereo ↔ 25 Hz × 64 latents).",
  inputs: {},
  outputs: { vae: { type: "VAE" } },
  params: { name: nameParam("VAE", "vae"), offload: offloadParam() },
  fingerprint: fingerprint("vae"),
  run: async ({ params }, ctx) => ({ vae: await load("VAE", "vae", params, ctx) }),
});

export const LoadTextEncoderNode = defineNode({
  type: "models.textEncoder",
  title: "Load Text Encoder",
  category: "loaders",
  description: "Qwen3-Embedding-0.6B: encodes captions; its token embeddings encode lyrics.",
  inputs: {},
  outputs: { textEncoder: { type: "TEXT_ENCODER" } },
  params: { name: nameParam("text encoder", "textEncoder"), offload: offloadParam() },
  fingerprint: fingerprint("text-encoder"),
  run: async ({ params }, ctx) => ({ textEncoder: await load("TEXT_ENCODER", "text-encoder", params, ctx) }),
});

export const LoadLmNode = defineNode({
  type: "models.lm",
  title: "Load 5 Hz LM",
  category: "loaders",
  description: "The ACE-Step 5 Hz language model (planner): metadata, captions, lyrics and audio codes.",
  inputs: {},
  outputs: { lm: { type: "LM" } },
  params: { name: nameParam("LM (the largest installed one the memory tier runs)", "lm"), offload: offloadParam() },
  fingerprint: fingerprint("lm"),
  run: async ({ params }, ctx) => ({ lm: await load("LM", "lm", params, ctx) }),
});
