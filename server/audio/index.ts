// Public surface of server/audio: decode/normalise, resample, levels, encode, analysis, result keys.
export {
  TARGET_CHANNELS,
  TARGET_SAMPLE_RATE,
  AudioDecodeError,
  AudioEncodeError,
  duration,
  frames,
  silence,
  type Audio,
} from "./types";
export {
  DEFAULT_MAX_BYTES,
  DEFAULT_MAX_SECONDS,
  loadAudio,
  loadAudioFile,
  type LoadAudioOptions,
  type LoadedAudio,
  type SourceInfo,
} from "./decode";
export { resample, resampledLength, type ResampleQuality } from "./resample";
export {
  applyOutputLevels,
  applyOutputLevelsYielding,
  isSilent,
  levelGain,
  type LevelPolicy,
  type LevelResult,
} from "./levels";
export { encodeAudio, formatFromPath, type EncodeOptions, type OutputFormat } from "./encode";
export { audioInfo, sineTone, type AudioInfo, type SineToneOptions } from "./analysis";
export { generateUuidFromParams, pythonJsonDumps, pyFloat, PyFloat, type PyJson } from "./result-key";
