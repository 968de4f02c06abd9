import { describe, expect, it } from "vitest";
import {
  DEFAULT_DIT_INSTRUCTION,
  DEFAULT_LM_INSTRUCTION,
  TASK_INSTRUCTIONS,
  TASK_TYPES,
  TASKS_BY_VARIANT,
  TASK_TRAITS,
  TRACK_NAMES,
  formatInstruction,
  generateInstruction,
  variantSupportsTask,
} from "./instructions";

describe("task instructions", () => {
  it("has the exact TASK_INSTRUCTIONS strings", () => {
    expect(TASK_INSTRUCTIONS).toEqual({
      text2music: "Fill the audio semantic mask based on the given conditions:",
      repaint: "Repaint the mask area based on the given conditions:",
      cover: "Generate audio semantic tokens based on the given conditions:",
      extract: "Extract the {TRACK_NAME} track from the audio:",
      extract_default: "Extract the track from the audio:",
      lego: "Generate the {TRACK_NAME} track based on the audio context:",
      lego_default: "Generate the track based on the audio context:",
      complete: "Complete the input track with {TRACK_CLASSES}:",
      complete_default: "Complete the input track:",
    });
    expect(DEFAULT_DIT_INSTRUCTION).toBe("Fill the audio semantic mask based on the given conditions:");
    expect(DEFAULT_LM_INSTRUCTION).toBe("Generate audio semantic tokens based on the given conditions:");
  });

  it("lists the six tasks and the 12 tracks in upstream order", () => {
    expect(TASK_TYPES).toEqual(["text2music", "repaint", "cover", "extract", "lego", "complete"]);
    expect(TRACK_NAMES).toEqual([
      "woodwinds",
      "brass",
      "fx",
      "synth",
      "strings",
      "percussion",
      "keyboard",
      "guitar",
      "bass",
      "drums",
      "backing_vocals",
      "vocals",
    ]);
  });

  it("restricts turbo and sft to text2music/repaint/cover and gives base all six", () => {
    expect(TASKS_BY_VARIANT.turbo).toEqual(["text2music", "repaint", "cover"]);
    expect(TASKS_BY_VARIANT.sft).toEqual(["text2music", "repaint", "cover"]);
    expect(TASKS_BY_VARIANT.base).toEqual(TASK_TYPES);
    expect(variantSupportsTask("turbo", "lego")).toBe(false);
    expect(variantSupportsTask("base", "complete")).toBe(true);
  });

  it("the task table's track kinds match the instruction placeholders", () => {
    for (const t of TASK_TYPES) {
      const instruction: string = TASK_INSTRUCTIONS[t];
      const kind = instruction.includes("{TRACK_NAME}")
        ? "one"
        : instruction.includes("{TRACK_CLASSES}")
          ? "many"
          : "none";
      expect([t, TASK_TRAITS[t].tracks]).toEqual([t, kind]);
    }
  });

  it("upper-cases the track name for extract and lego", () => {
    expect(generateInstruction("extract", { trackName: "vocals" })).toBe("Extract the VOCALS track from the audio:");
    expect(generateInstruction("lego", { trackName: "backing_vocals" })).toBe(
      "Generate the BACKING_VOCALS track based on the audio context:",
    );
    expect(generateInstruction("extract")).toBe("Extract the track from the audio:");
    expect(generateInstruction("lego", { trackName: "" })).toBe("Generate the track based on the audio context:");
  });

  it("joins complete classes with ' | '", () => {
    expect(generateInstruction("complete", { completeTrackClasses: ["drums", "bass", "guitar"] })).toBe(
      "Complete the input track with DRUMS | BASS | GUITAR:",
    );
    expect(generateInstruction("complete", { completeTrackClasses: [] })).toBe("Complete the input track:");
  });

  it("returns fixed instructions for text2music, repaint and cover", () => {
    expect(generateInstruction("text2music")).toBe(TASK_INSTRUCTIONS.text2music);
    expect(generateInstruction("repaint", { trackName: "drums" })).toBe(TASK_INSTRUCTIONS.repaint);
    expect(generateInstruction("cover")).toBe(TASK_INSTRUCTIONS.cover);
  });

  it("appends a colon only when missing", () => {
    expect(formatInstruction("Do it")).toBe("Do it:");
    expect(formatInstruction("Do it:")).toBe("Do it:");
  });
});
