import { describe, expect, it } from "vitest";
import { activeLine, parseLrc } from "./lrc";

describe("LRC lyrics", () => {
  it("reads upstream's format: start times, section tags as lines, the optional end time", () => {
    const lines = parseLrc("[00:00.00][verse]\n[00:01.50]Neon rain on the window\n[01:02.25][01:05.00]Hold on\n");
    expect(lines).toEqual([
      { start: 0, end: undefined, text: "[verse]", section: true },
      { start: 1.5, end: undefined, text: "Neon rain on the window", section: false },
      { start: 62.25, end: 65, text: "Hold on", section: false },
    ]);
  });

  it("takes [mm:ss], milliseconds and the old colon form; skips ID tags; keeps untimed lines without a time", () => {
    const lines = parseLrc("[ti:Song]\n[ar:Someone]\n[00:07]a\n[00:08.125]b\n[00:09:50]c\nuntimed\n");
    expect(lines?.map((l) => [l.start, l.text])).toEqual([
      [7, "a"],
      [8.125, "b"],
      [9.5, "c"],
      [undefined, "untimed"],
    ]);
  });

  it("is null for plain lyrics, section tags included", () => {
    expect(parseLrc("[verse]\nNeon rain on the window\n[chorus]\nHold on")).toBeNull();
    expect(parseLrc("")).toBeNull();
  });

  it("finds the line sung at a time", () => {
    const lines = parseLrc("[00:00.00][verse]\n[00:01.00]one\n[00:03.00]two\n[00:05.00][00:06.00]three\n")!;
    const at = (t: number) => {
      const i = activeLine(lines, t);
      return i < 0 ? null : lines[i]!.text;
    };
    expect([at(0), at(0.99), at(1), at(2.9), at(3), at(5.5), at(6), at(6.01)]).toEqual([
      "[verse]",
      "[verse]",
      "one",
      "one",
      "two",
      "three",
      "three",
      null,
    ]);
    expect(activeLine(parseLrc("[00:02.00]late")!, 1)).toBe(-1);
  });

  it("follows the times, not the order of the lines (repeated choruses written once)", () => {
    const lines = parseLrc("[00:10.00]b\n[00:02.00]a\n")!;
    expect(lines[activeLine(lines, 3)]!.text).toBe("a");
    expect(lines[activeLine(lines, 11)]!.text).toBe("b");
  });
});
