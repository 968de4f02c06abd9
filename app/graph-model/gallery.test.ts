import { describe, expect, it } from "vitest";
import { galleryCards } from "./gallery";
import type { RunView } from "./run-state";

const view = (nodes: RunView["nodes"]): RunView => ({ runId: "r", status: "finished", nodes, lastSeq: 9 });

describe("gallery cards", () => {
  it("makes one card per saved audio item with that item's seed and the song facts", () => {
    const v = view({
      text: { status: "done", params: { caption: "lo-fi piano", bpm: 84, keyscale: "F major" } },
      sampler: { status: "done", results: [{ kind: "value", label: "seeds", value: [42, 43] }] },
      save: {
        status: "done",
        results: [
          { kind: "audio", path: "runs/r/a.flac", meta: { seconds: 10 } },
          { kind: "audio", path: "runs/r/b.flac", meta: { seconds: 10 } },
        ],
      },
    });
    expect(galleryCards(v)).toEqual([
      {
        key: "runs/r/a.flac",
        item: 1,
        path: "runs/r/a.flac",
        label: undefined,
        nodeId: "save",
        seed: 42,
        seedNode: "sampler",
        seconds: 10,
        caption: "lo-fi piano",
        bpm: 84,
        keyscale: "F major",
      },
      {
        key: "runs/r/b.flac",
        item: 2,
        path: "runs/r/b.flac",
        label: undefined,
        nodeId: "save",
        seed: 43,
        seedNode: "sampler",
        seconds: 10,
        caption: "lo-fi piano",
        bpm: 84,
        keyscale: "F major",
      },
    ]);
  });
  it("prefers what an LM planned over typed params, and skips unset ones", () => {
    const v = view({
      text: { status: "done", params: { caption: "typed", bpm: 0, keyscale: "" } },
      lm: { status: "done", results: [{ kind: "song", value: { caption: "planned", bpm: 120, keyscale: "A minor" } }] },
      save: { status: "done", results: [{ kind: "audio", path: "x.wav" }] },
    });
    expect(galleryCards(v)[0]).toMatchObject({ caption: "planned", bpm: 120, keyscale: "A minor", seed: undefined });
    expect(galleryCards(null)).toEqual([]);
  });
  it("carries the lyrics the item was made with, an LM's over the typed ones", () => {
    const typed = { status: "done" as const, params: { lyrics: "[00:01.00]typed line", language: "en" } };
    const save = { status: "done" as const, results: [{ kind: "audio" as const, path: "x.wav" }] };
    expect(galleryCards(view({ lyrics: typed, save }))[0]!.lyrics).toBe("[00:01.00]typed line");
    const lm = { status: "done" as const, results: [{ kind: "song" as const, value: { lyrics: "[verse]\nplanned" } }] };
    expect(galleryCards(view({ lyrics: typed, lm, save }))[0]!.lyrics).toBe("[verse]\nplanned");
  });
});
