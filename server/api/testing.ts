// Test helpers for the library API: a registry of cheap stand-ins with the SAME declarations (ports and params)
// as the real nodes — copied from the real declaration — so the graph builder and the result collection can be
// tested fast and without models. When a node's params change, the field-table tests fail and point at FIELD_MAP.
import { createDefaultRegistry } from "../../nodes/index";
import { NodeRegistry } from "../../nodes/registry";
import { defineNode, type AnyNodeDefinition } from "../../nodes/define-node";
import { SaveAudioNode } from "../../nodes/audio/save-audio";
import { NODE_TYPES, TASK_NODE_TYPES } from "./build-graph";
import { LM_HELPER_NODES } from "./library";

const realRegistry = createDefaultRegistry();

const SR = 48000;

/** What each stand-in computes: tiny, deterministic values of the right port types. */
function fakeRun(type: string): AnyNodeDefinition["run"] {
  return ({ params, inputs }: { params: Record<string, unknown>; inputs: Record<string, unknown> }) => {
    const handle = (kind: string) => ({ kind, id: "fake", name: "fake", demo: true });
    switch (type) {
      case "models.textEncoder":
        return { textEncoder: handle("TEXT_ENCODER") };
      case "models.dit":
        return { dit: handle("DIT") };
      case "models.vae":
        return { vae: handle("VAE") };
      case "models.lm":
        return { lm: handle("LM") };
      case "models.lora": {
        const dit = inputs.dit as { loras?: unknown[] };
        return { dit: { ...dit, loras: [...(dit.loras ?? []), { path: params.file, scale: params.scale }] } };
      }
      case "ace.song":
        return {
          song: {
            caption: params.caption,
            lyrics: params.lyrics,
            bpm: params.bpm || null,
            keyscale: params.keyscale || null,
            timesignature: params.timesignature || null,
            duration: params.duration === -1 ? null : params.duration,
            language: params.language,
            instrumental: params.instrumental,
          },
        };
      case "ace.audioCodes":
        return { codes: { codes: [[1, 2, 3]] } };
      case "audio.load":
        return { audio: { sampleRate: SR, channels: [new Float32Array(SR), new Float32Array(SR)] } };
      case "ace.textConditioning":
      case "ace.lyricsConditioning":
        return { conditioning: { kind: "conditioning", tensors: {}, meta: { params, song: inputs.song ?? null } } };
      case "ace.referenceTimbre":
        return { timbre: { kind: "conditioning", tensors: {}, meta: { params } } };
      case "ace.ditSampler": {
        const b = Number(params.batchSize ?? 1);
        const seeds = String(params.seeds ?? "")
          .split(/[,\s]+/)
          .filter(Boolean)
          .map(Number);
        return { latent: { data: new Float32Array(64 * b), shape: [b, 1, 64], meta: { params, seeds } } };
      }
      case "vae.decode": {
        const b = (inputs.latent as { shape: number[] }).shape[0];
        const batch = Array.from({ length: b }, (_, item) => {
          const ch = new Float32Array(SR / 10).map(
            (_, i) => 0.25 * Math.sin((2 * Math.PI * (220 * (item + 1)) * i) / SR),
          );
          return [ch, ch.slice()];
        });
        return { audio: { sampleRate: SR, channels: batch[0], batch: b > 1 ? batch : undefined } };
      }
      case "lm.generate":
        return {
          song: {
            caption: "lm caption",
            lyrics: (inputs.song as { lyrics: string }).lyrics || "lm lyrics",
            bpm: 123,
            keyscale: "D minor",
            timesignature: "4",
            duration: 30,
            language: "en",
            instrumental: false,
          },
          codes: { codes: Array.from({ length: Number(params.batchSize ?? 1) }, (_, i) => [i, i + 1, i + 2]) },
          duration: 30,
        };
      case "lm.understand":
      case "lm.createSample":
      case "lm.formatSample":
        return {
          song: {
            caption: `${type} caption`,
            lyrics: "[Verse]\nla",
            bpm: 100,
            keyscale: "C major",
            timesignature: "4",
            duration: 60,
            language: "en",
            instrumental: false,
          },
        };
      default:
        if (type in TASK_NODE_TYPES_INV)
          return { latent: { data: new Float32Array(64), shape: [1, 1, 64], meta: { params } } };
        throw new Error(`no stand-in for ${type}`);
    }
  };
}

const TASK_NODE_TYPES_INV: Record<string, string> = Object.fromEntries(
  Object.entries(TASK_NODE_TYPES).map(([k, v]) => [v, k]),
);

/**
 * A registry of stand-ins for every node a generation graph uses, with the real declarations where the real
 * node exists (audio.save is the real node: it writes real files). `only` limits it to those types.
 */
export function fakeRegistry(opts: { without?: string[] } = {}): NodeRegistry {
  const types = new Set<string>([
    ...Object.values(NODE_TYPES),
    ...Object.values(TASK_NODE_TYPES),
    ...Object.values(LM_HELPER_NODES),
  ]);
  const reg = new NodeRegistry();
  for (const type of types) {
    if (opts.without?.includes(type)) continue;
    if (type === "audio.save") {
      reg.add(SaveAudioNode);
      continue;
    }
    const real = realRegistry.get(type);
    if (!real) throw new Error(`fakeRegistry: this build has no node "${type}" to copy the declaration of`);
    reg.add(
      defineNode({
        type,
        title: `${type} (stand-in)`,
        category: "test",
        description: "test stand-in",
        inputs: real.inputs,
        outputs: real.outputs,
        params: real.params,
        output: real.output ?? (Object.values(LM_HELPER_NODES) as string[]).includes(type),
        cache: false,
        run: fakeRun(type) as never,
      }) as AnyNodeDefinition,
    );
  }
  return reg;
}
