import { describe, expect, it } from "vitest";
import { canUndo, commit, createHistory, redo, settle, undo } from "./history";

describe("history", () => {
  it("undoes and redoes committed values", () => {
    let h = createHistory(1);
    h = commit(h, 2, { now: 0 });
    h = commit(h, 3, { now: 10_000 });
    h = undo(h);
    expect(h.present).toBe(2);
    h = undo(h);
    expect(h.present).toBe(1);
    expect(canUndo(h)).toBe(false);
    h = redo(redo(h));
    expect(h.present).toBe(3);
  });
  it("a new edit clears the redo branch", () => {
    let h = commit(commit(createHistory("a"), "b", { now: 0 }), "c", { now: 5000 });
    h = commit(undo(h), "d", { now: 9000 });
    expect(h.future).toEqual([]);
    expect(redo(h).present).toBe("d");
  });
  it("coalesces edits with the same key within the window", () => {
    let h = createHistory("");
    h = commit(h, "h", { key: "n.caption", now: 0 });
    h = commit(h, "he", { key: "n.caption", now: 300 });
    h = commit(h, "hey", { key: "n.caption", now: 600 });
    expect(h.past).toEqual([""]);
    expect(undo(h).present).toBe("");
    h = commit(h, "hey!", { key: "n.caption", now: 5000 });
    expect(h.past).toEqual(["", "hey"]);
  });
  it("transient edits become one step when they settle", () => {
    let h = createHistory(0);
    h = commit(h, 1, { transient: true });
    h = commit(h, 2, { transient: true });
    h = commit(h, 3, { transient: true });
    expect(h.past).toEqual([]);
    h = settle(h);
    expect(h.past).toEqual([0]);
    expect(undo(h).present).toBe(0);
  });
  it("undo during a transient edit returns to the value before it", () => {
    let h = commit(createHistory(0), 1, { transient: true });
    expect(canUndo(h)).toBe(true);
    h = undo(h);
    expect(h.present).toBe(0);
  });
});
