// Load Audio: an uploaded file or a path inside the data folder → 48 kHz stereo AUDIO.
import { statSync } from "node:fs";
import { defineNode } from "../define-node";
import { param } from "../params";
import { confinePath, PathEscapeError } from "../../server/files/confine";
import { NodeError } from "../errors";
import { loadAudioFile, AudioDecodeError } from "../../server/audio/index";

function locate(dataDir: string | undefined, file: string): string {
  if (!dataDir) throw new NodeError("no data folder is configured", "file");
  if (!file) throw new NodeError("choose an audio file (upload one, or give a path inside the data folder)", "file");
  try {
    return confinePath(dataDir, file);
  } catch (e) {
    if (e instanceof PathEscapeError) throw new NodeError(e.message, "file");
    throw e;
  }
}

export const LoadAudioNode = defineNode({
  type: "audio.load",
  title: "Load Audio",
  category: "audio",
  description: "Loads wav, flac, mp3 or ogg from the data folder (uploads land in uploads/) as 48 kHz stereo.",
  inputs: {},
  outputs: { audio: { type: "AUDIO" } },
  params: {
    file: param.string({
      default: "",
      ui: "file",
      maxLength: 1000,
      description: "Path inside the data folder, e.g. uploads/…-song.flac",
    }),
    maxSeconds: param.float({
      default: 600,
      min: 1,
      max: 3600,
      description: "Refuse files longer than this (seconds)",
      advanced: true,
    }),
  },
  fingerprint: (params, services) => {
    try {
      const st = statSync(locate(services.dataDir, params.file));
      return `${st.size}:${st.mtimeMs}`;
    } catch {
      return "missing";
    }
  },
  run: async ({ params }, ctx) => {
    const path = locate(ctx.services.dataDir, params.file);
    try {
      const a = await loadAudioFile(path, { name: params.file, maxSeconds: params.maxSeconds });
      for (const w of a.warnings) ctx.log(w);
      return { audio: { sampleRate: a.sampleRate, channels: a.channels } };
    } catch (e) {
      if (e instanceof AudioDecodeError) throw new NodeError(e.message, "file");
      if ((e as NodeJS.ErrnoException).code === "ENOENT")
        throw new NodeError(`no file "${params.file}" in the data folder`, "file");
      throw e;
    }
  },
});
