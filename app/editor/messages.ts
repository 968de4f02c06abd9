// The editor's user-facing messages, one catalogue keyed by code (engine and validation
// messages come from the server as they are; these are the editor's own).

export const MESSAGES = {
  connection_refused: (reason: string) => `Connection refused: ${reason}`,
  file_not_json: (name: string) => `${name} is not a JSON file`,
  file_not_graph: (name: string, why: string) => `${name} is not an ACE-Step graph (version 1): ${why}`,
  opened: (name: string) => `Opened ${name}`,
  saved: (name: string) => `Saved "${name}"`,
  save_failed: (why: string) => `Saving failed: ${why}`,
  run_invalid: (n: number) => `The graph has ${n} problem${n === 1 ? "" : "s"}; see the marked nodes`,
  run_failed: (why: string) => `The run failed: ${why}`,
  run_start_failed: (why: string) => `Could not start the run: ${why}`,
  upload_failed: (why: string) => `Upload failed: ${why}`,
  paste_empty: () => "Nothing to paste: copy nodes first",
  no_compatible: (type: string) => `No node takes or gives ${type}`,
  unknown_type: (type: string) => `Unknown node type "${type}": this build has no such node`,
  events_lost: (why: string) => `Lost the run's event stream: ${why}`,
  seed_set: (seed: number, node: string) => `Seed ${seed} set on ${node} (fixed)`,
  sent_to_load: (item: number, node: string) => `Item #${item} added as ${node}`,
  sent_to: (item: number, graph: string, w?: { start: number; end: number }) =>
    `Item #${item} is the source of ${graph}${w ? `, repainting ${w.start.toFixed(2)}–${w.end.toFixed(2)} s` : ""}`,
  no_example: (id: string) => `The "${id}" example graph is not available`,
} as const;

export type MessageCode = keyof typeof MESSAGES;
