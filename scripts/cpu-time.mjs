#!/usr/bin/env node
// Runs a shell command and prints the CPU time (user + sys) it and all its child processes used, so
// `npm test` shows its cost (the suite's budget is 4 CPU-minutes on the 2-core development machine).
// Usage: node scripts/cpu-time.mjs "<command>"
// Linux reads the reaped children's times from /proc/self/stat (cutime, cstime); elsewhere only wall time.
import { execFileSync, spawn } from "node:child_process";
import { readFileSync } from "node:fs";

const BUDGET_S = 240;
const command = process.argv.slice(2).join(" ");
if (!command) {
  console.error('usage: node scripts/cpu-time.mjs "<command>"');
  process.exit(2);
}

/** [user, sys] seconds of this process's waited-for descendants, or null where /proc is missing. */
function childrenCpu() {
  try {
    const stat = readFileSync("/proc/self/stat", "utf8");
    // Fields after the ")" that closes the command name; cutime and cstime are fields 16 and 17 (1-based).
    const rest = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    const ticks = Number(execFileSync("getconf", ["CLK_TCK"], { encoding: "utf8" }).trim()) || 100;
    return [Number(rest[13]) / ticks, Number(rest[14]) / ticks];
  } catch {
    return null;
  }
}

const start = Date.now();
const child = spawn(command, { shell: true, stdio: "inherit" });
const forward = (signal) => child.kill(signal);
process.on("SIGINT", forward);
process.on("SIGTERM", forward);
child.on("exit", (code, signal) => {
  const wall = ((Date.now() - start) / 1000).toFixed(0);
  const cpu = childrenCpu();
  if (cpu) {
    const [user, sys] = cpu;
    const total = user + sys;
    const over = total > BUDGET_S ? ` — over the ${BUDGET_S} s budget` : "";
    console.log(
      `\ncpu time: ${total.toFixed(0)} s (user ${user.toFixed(0)} s + sys ${sys.toFixed(0)} s), wall ${wall} s${over}`,
    );
  } else console.log(`\nwall time: ${wall} s (CPU time needs Linux /proc)`);
  process.exit(code ?? (signal ? 1 : 0));
});
