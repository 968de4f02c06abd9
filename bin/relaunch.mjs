// glibc's malloc raises its mmap threshold each time a large block is freed (up to 32 MiB), after which blocks of
// that size come from the heap and stay there when freed: a model session released by the memory budget kept its
// bytes in the process's RSS. Measured at real size (fp32, ACESTEP_MEMORY_BUDGET=8G, 30 s song): peak RSS 8333 MiB,
// and 2952 MiB still resident after the LM was released; with a fixed threshold 6134 MiB and 1064 MiB. glibc reads
// its tunables only when a process starts, so on Linux the `acestep` command starts itself once more with them set
// (unless they are set already, or ACESTEP_MALLOC_RELAUNCH=off). The parent forwards signals and exit status; the
// child ends itself if the parent is killed outright (kill -9), as it would have died with it before.
import { spawn } from "node:child_process";
import { once } from "node:events";

export const MALLOC_SETTINGS = { MALLOC_MMAP_THRESHOLD_: "262144", MALLOC_TRIM_THRESHOLD_: "33554432" };
const PARENT = "ACESTEP_LAUNCHER_PID";
const SIGNALS = ["SIGINT", "SIGTERM", "SIGHUP", "SIGQUIT", "SIGUSR1", "SIGUSR2"];

/** In the child: SIGKILL itself once its launcher is gone (re-parented), checked every 500 ms. */
function followParent(parentPid) {
  const timer = setInterval(() => {
    if (process.ppid !== parentPid) process.kill(process.pid, "SIGKILL");
  }, 500);
  timer.unref();
}

/**
 * Returns in the process that should run the command (the child, or this process when no relaunch is needed);
 * in a launching parent it never returns: it exits with the child's status.
 */
export async function relaunchWithMallocSettings() {
  const parent = Number(process.env[PARENT]);
  if (parent > 0) {
    delete process.env[PARENT];
    followParent(parent);
    return;
  }
  if (process.platform !== "linux" || process.env.ACESTEP_MALLOC_RELAUNCH === "off") return;
  if (Object.keys(MALLOC_SETTINGS).some((k) => process.env[k] !== undefined)) return;
  // its own process group, so a Ctrl-C at the terminal reaches it once (forwarded), not twice
  const child = spawn(process.execPath, [...process.execArgv, ...process.argv.slice(1)], {
    stdio: "inherit",
    detached: true,
    env: { ...process.env, ...MALLOC_SETTINGS, [PARENT]: String(process.pid) },
  });
  for (const s of SIGNALS) process.on(s, () => child.kill(s));
  const [code, signal] = await once(child, "exit");
  if (signal) {
    for (const s of SIGNALS) process.removeAllListeners(s);
    process.kill(process.pid, signal);
  }
  process.exit(code ?? 1);
}
