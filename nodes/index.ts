// Every node this build offers. The engine, validator, editor and CLI read this list.
import type { AnyNodeDefinition } from "./define-node";
import { NodeRegistry } from "./registry";
import { IntNode, FloatNode, StringNode, BooleanNode, SeedNode } from "./core/primitives";
import { ShowTextNode, ShowNumberNode } from "./core/show";
import { TestToneNode } from "./core/test-tone";
import { AudioInfoNode } from "./core/audio-info";
import { LoadAudioNode } from "./audio/load-audio";
import { SaveAudioNode, PreviewAudioNode } from "./audio/save-audio";

export const ALL_NODES: AnyNodeDefinition[] = [
  IntNode,
  FloatNode,
  StringNode,
  BooleanNode,
  SeedNode,
  ShowTextNode,
  ShowNumberNode,
  TestToneNode,
  AudioInfoNode,
  LoadAudioNode,
  SaveAudioNode,
  PreviewAudioNode,
];

export function createDefaultRegistry(): NodeRegistry {
  return new NodeRegistry(ALL_NODES);
}
