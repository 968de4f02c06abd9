"use client";
// What node components may do: dispatch param edits and show a message. A stable object,
// so the memoized nodes never re-render because of it.
import { createContext, useContext } from "react";
import type { SeedControl } from "../graph-model/seed-control";

export interface NodeActions {
  setParam(nodeId: string, name: string, value: unknown): void;
  setSeedControl(nodeId: string, name: string, control: SeedControl): void;
  notify(message: string, kind?: "info" | "error"): void;
}

export const NodeActionsContext = createContext<NodeActions>({
  setParam: () => {},
  setSeedControl: () => {},
  notify: () => {},
});
export const useNodeActions = () => useContext(NodeActionsContext);
