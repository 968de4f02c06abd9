// Song: caption, lyrics and metadata as one SONG value (what the LM plans and the DiT follows).
import { defineNode } from "../define-node";
import { param } from "../params";
import { captionParam, languageParam, lyricsParam, metaIssues, metaParams } from "./song-params";

export const SongNode = defineNode({
  type: "ace.song",
  title: "Song",
  category: "conditioning",
  description: "Caption, lyrics and metadata bundled as a SONG for the conditioning and LM nodes.",
  inputs: {},
  outputs: { song: { type: "SONG" } },
  params: {
    caption: captionParam(),
    lyrics: lyricsParam(),
    ...metaParams(),
    language: languageParam(),
    instrumental: param.boolean({ default: false, description: "No vocals (lyrics become [Instrumental])" }),
  },
  validate: (p) => metaIssues(p),
  run: ({ params: p }) => ({
    song: {
      caption: p.caption,
      lyrics: p.instrumental && !p.lyrics.trim() ? "[Instrumental]" : p.lyrics,
      bpm: p.bpm || null,
      keyscale: p.keyscale || null,
      timesignature: p.timesignature || null,
      duration: p.duration === -1 ? null : p.duration,
      language: p.language,
      instrumental: p.instrumental,
    },
  }),
});
