// `acestep run <graph.json> [--set node.param=value]... [--out dir] [--json]`
import { parseArgs } from "node:util";
import { cpSync, mkdirSync } from "node:fs";
import { join, resolve, basename } from "node:path";
import { createAppContext } from "../../app-context";
import { parseSetArgs } from "../../runs/overrides";
import { GraphInvalidError } from "../../runs/service";
import { formatIssue } from "../../graph/issues";
import { readGraphFile } from "../read-graph";
import { createProgressPrinter } from "../progress";

export async function runCommand(argv: string[]): Promise<number> {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      set: { type: "string", multiple: true },
      out: { type: "string" },
      json: { type: "boolean" },
      data: { type: "string" },
    },
  });
  if (positionals.length !== 1) {
    console.error("usage: acestep run <graph.json> [--set <node>.<param>=<value>]... [--out <dir>] [--json]");
    return 2;
  }
  const file = positionals[0];
  const { graph, issues } = readGraphFile(file);
  if (issues.length) {
    for (const i of issues) console.error(formatIssue(i));
    return 1;
  }
  let overrides;
  try {
    overrides = parseSetArgs(values.set ?? []);
  } catch (e) {
    console.error((e as Error).message);
    return 2;
  }
  const app = createAppContext({ role: "cli", ...(values.data ? { dataDir: resolve(values.data) } : {}) });
  let runId: string | undefined;
  // Only this command's run: a server may run others on the same data folder.
  const onSigint = () => {
    if (runId) app.runs.cancel(runId);
  };
  process.once("SIGINT", onSigint);
  try {
    try {
      runId = app.runs.start({ graph, overrides }).runId;
    } catch (e) {
      if (e instanceof GraphInvalidError) {
        console.error(`${file}: the graph is not valid:`);
        for (const i of e.issues) console.error(`  ${formatIssue(i)}`);
        return 1;
      }
      throw e;
    }
    const print = values.json ? () => {} : createProgressPrinter();
    for await (const e of app.runs.events(runId)) print(e.event);
    const run = app.store.getRun(runId)!;
    const outputs = app.store.listOutputs(runId);
    const copied: string[] = [];
    if (values.out && outputs.length) {
      const dir = resolve(values.out);
      mkdirSync(dir, { recursive: true });
      for (const o of outputs) {
        const target = join(dir, basename(o.path));
        cpSync(join(app.config.dataDir, o.path), target);
        copied.push(target);
      }
    }
    if (values.json) {
      console.log(
        JSON.stringify(
          {
            runId,
            status: run.status,
            error: run.error,
            timings: run.timings,
            seeds: run.resolvedSeeds,
            demo: run.demo,
            outputs: outputs.map((o, i) => ({ ...o, file: copied[i] ?? join(app.config.dataDir, o.path) })),
          },
          null,
          2,
        ),
      );
    } else {
      if (run.demo)
        console.error(
          "note: made with DEMO weights (random tiny models) — the audio is noise. Configure real models with ACESTEP_MODELS.",
        );
      for (const [i, o] of outputs.entries())
        console.log(`${o.kind}: ${copied[i] ?? join(app.config.dataDir, o.path)}`);
      if (run.status !== "finished")
        console.error(
          `run ${run.status}${run.error ? `: ${run.error.nodeId ? `node "${run.error.nodeId}"${run.error.field ? ` field "${run.error.field}"` : ""}: ` : ""}${run.error.message}` : ""}`,
        );
      else console.error(`finished in ${((run.finishedAt! - run.startedAt!) / 1000).toFixed(2)} s (run ${runId})`);
    }
    return run.status === "finished" ? 0 : 1;
  } finally {
    process.off("SIGINT", onSigint);
    await app.close();
  }
}
