// Every node this build offers. The engine, validator, editor and CLI read this list.
import type { AnyNodeDefinition } from "./define-node";
import { NodeRegistry } from "./registry";
import { IntNode, FloatNode, StringNode, BooleanNode, SeedNode } from "./core/primitives";
import { ShowTextNode, ShowNumberNode, ShowSongNode } from "./core/show";
import { TestToneNode } from "./core/test-tone";
import { AudioInfoNode } from "./core/audio-info";
import { LoadAudioNode } from "./audio/load-audio";
import { SaveAudioNode, PreviewAudioNode } from "./audio/save-audio";
import { LoadDitNode, LoadVaeNode, LoadTextEncoderNode, LoadLmNode } from "./models/loaders";
import { LoadLoraNode } from "./models/lora";
import { SongNode } from "./ace/song";
import { AudioCodesNode, CodesToTextNode } from "./ace/audio-codes";
import { TextConditioningNode, LyricsConditioningNode } from "./ace/text-conditioning";
import { VaeEncodeNode, VaeDecodeNode } from "./audio/vae";
import {
  EmptyLatentNode,
  CoverNode,
  RepaintNode,
  LegoNode,
  ExtractNode,
  CompleteNode,
  AudioToCodesNode,
} from "./ace/tasks";
import { ReferenceTimbreNode } from "./ace/reference-timbre";
import { DitSamplerNode } from "./ace/dit-sampler";
import { LmGenerateNode } from "./lm/generate";
import { LmUnderstandNode, LmCreateSampleNode, LmFormatSampleNode } from "./lm/helpers";

export const ALL_NODES: AnyNodeDefinition[] = [
  IntNode,
  FloatNode,
  StringNode,
  BooleanNode,
  SeedNode,
  ShowTextNode,
  ShowNumberNode,
  ShowSongNode,
  TestToneNode,
  AudioInfoNode,
  LoadAudioNode,
  SaveAudioNode,
  PreviewAudioNode,
  LoadDitNode,
  LoadVaeNode,
  LoadTextEncoderNode,
  LoadLmNode,
  LoadLoraNode,
  SongNode,
  AudioCodesNode,
  CodesToTextNode,
  TextConditioningNode,
  LyricsConditioningNode,
  VaeEncodeNode,
  VaeDecodeNode,
  EmptyLatentNode,
  CoverNode,
  RepaintNode,
  LegoNode,
  ExtractNode,
  CompleteNode,
  AudioToCodesNode,
  ReferenceTimbreNode,
  DitSamplerNode,
  LmGenerateNode,
  LmCreateSampleNode,
  LmFormatSampleNode,
  LmUnderstandNode,
];

export function createDefaultRegistry(): NodeRegistry {
  return new NodeRegistry(ALL_NODES);
}
