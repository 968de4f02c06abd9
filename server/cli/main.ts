// The acestep CLI: the same engine in-process, the same graph JSON as the editor and API.
import { runCommand } from "./commands/run";
import { validateCommand } from "./commands/validate";
import { nodesCommand } from "./commands/nodes";
import { serveCommand } from "./commands/serve";
import { modelsCommand } from "./commands/models";
import { debugCommand } from "./commands/debug";
import { workerCommand } from "./commands/worker";

const USAGE = `usage: acestep <command> [options]

commands:
  run <graph.json> [--set <node>.<param>=<value>]... [--out <dir>] [--json]
                         run a graph with a progress bar; prints the output files
  validate <graph.json>  list every problem in a graph (exit 1 if any)
  nodes [type] [--json]  list node types, or describe one
  serve [--port N] [--host H] [--dev] [--redis URL]
                         start the editor and the API (127.0.0.1:3000 by default); with --redis it is the
                         coordinator of scale-out workers
  worker --redis URL --server URL --token T [--concurrency N] [--data DIR]
                         execute the coordinator's runs on this machine (models loaded once, kept warm)
  models fabricate --size tiny|full --out <dir> [--components …] [--dtype bf16|fp32] [--dry-run]
                         write random checkpoints in the official layout (models tiny: --size tiny)
  models convert --from <dir> --to <dir> [--dtype fp32|fp16|bf16|int8|int4 | dit=int8,lm=int4,…]
                         convert official checkpoints to runnable models (+ manifest)
  models list [--dir <models dir>]
  debug prompt|schedule|codes|lm-prompt …
                         print exact prompt strings, timesteps, FSQ decodings, LM prompts

environment: ACESTEP_DATA (data folder, default ./data), ACESTEP_MODELS (converted models),
ACESTEP_API_TOKEN (required to listen beyond loopback, and for workers), ACESTEP_THREADS, ACESTEP_CONCURRENCY,
ACESTEP_MEMORY_BUDGET, ACESTEP_REDIS_URL (scale-out), ACESTEP_RUN_ATTEMPTS (starts of a run before a dead worker fails it)`;

export async function main(argv: string[]): Promise<number> {
  const [cmd, ...rest] = argv;
  try {
    switch (cmd) {
      case "run":
        return await runCommand(rest);
      case "validate":
        return validateCommand(rest);
      case "nodes":
        return nodesCommand(rest);
      case "serve":
        return await serveCommand(rest);
      case "worker":
        return await workerCommand(rest);
      case "models":
        return await modelsCommand(rest);
      case "debug":
        return await debugCommand(rest);
      case undefined:
      case "help":
      case "--help":
      case "-h":
        console.log(USAGE);
        return cmd === undefined ? 2 : 0;
      default: {
        console.error(`unknown command "${cmd}"\n\n${USAGE}`);
        return 2;
      }
    }
  } catch (e) {
    const err = e as Error & { code?: string };
    if (err.code?.startsWith("ERR_PARSE_ARGS")) {
      console.error(`${err.message}\n\n${USAGE}`);
      return 2;
    }
    console.error(`error: ${err.message ?? String(e)}`);
    if (process.env.ACESTEP_DEBUG) console.error(err.stack);
    return 1;
  }
}
