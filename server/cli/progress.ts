// Terminal progress: one line per node, redrawn in place on a TTY, plain lines otherwise.
import type { EngineEvent } from "../engine/events";

export function createProgressPrinter(out: NodeJS.WriteStream = process.stderr) {
  const tty = out.isTTY === true;
  let open = false;
  const bar = (f: number, width = 24) => {
    const n = Math.round(f * width);
    return `[${"#".repeat(n)}${".".repeat(width - n)}]`;
  };
  const line = (s: string, final: boolean) => {
    if (tty) {
      out.write(`\r\x1b[2K${s}${final ? "\n" : ""}`);
      open = !final;
    } else if (final) out.write(`${s}\n`);
  };
  return (e: EngineEvent) => {
    switch (e.type) {
      case "run.queued":
        if (e.position > 0) line(`queued at position ${e.position}`, true);
        break;
      case "node.started":
        line(`${e.nodeId} (${e.nodeType}) ${bar(0)}`, false);
        break;
      case "node.progress":
        line(
          `${e.nodeId} ${bar(e.fraction)} ${e.step !== undefined && e.total !== undefined ? `${e.step}/${e.total}` : `${Math.round(e.fraction * 100)}%`}${e.message ? ` ${e.message}` : ""}`,
          false,
        );
        break;
      case "node.cached":
        line(`${e.nodeId} (${e.nodeType}) cached`, true);
        break;
      case "node.finished":
        line(`${e.nodeId} ${bar(1)} done in ${(e.ms / 1000).toFixed(2)} s`, true);
        break;
      case "node.failed":
        line(`${e.nodeId} FAILED${e.field ? ` (field "${e.field}")` : ""}: ${e.error}`, true);
        break;
      case "run.cancelled":
        line("run cancelled", true);
        break;
      default:
        if (open && tty) out.write("\n");
        open = false;
    }
  };
}
