// bin/relaunch.mjs: on Linux the acestep command runs in a child started with glibc malloc settings (so released
// model sessions leave the RSS); exit status and signals pass through, and the child does not outlive a launcher
// killed with SIGKILL.
import { describe, expect, it } from "vitest";
import { spawn, spawnSync } from "node:child_process";
import { once } from "node:events";
import { MALLOC_SETTINGS } from "../bin/relaunch.mjs";

const FIXTURE = "test/fixtures/relaunch-fixture.mjs";
const cleanEnv = () => {
  const env = { ...process.env };
  for (const k of [...Object.keys(MALLOC_SETTINGS), "ACESTEP_MALLOC_RELAUNCH", "ACESTEP_LAUNCHER_PID"]) delete env[k];
  return env;
};
const alive = (pid: number) => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};

describe.runIf(process.platform === "linux")("acestep relaunch with malloc settings", () => {
  it("runs the command in a child with the settings and passes its exit status back", () => {
    const r = spawnSync(process.execPath, [FIXTURE, "exit:3"], { encoding: "utf8", env: cleanEnv() });
    expect(r.status).toBe(3);
    const seen = JSON.parse(r.stdout.trim());
    expect(seen.threshold).toBe(MALLOC_SETTINGS.MALLOC_MMAP_THRESHOLD_);
    expect(seen.ppid).toBe(r.pid); // the launcher is the parent
    expect(seen.launcher).toBeNull(); // the marker is not passed on to what the command starts
  });

  it("does not relaunch when the settings are already there or relaunching is off", () => {
    for (const extra of [{ MALLOC_MMAP_THRESHOLD_: "1048576" }, { ACESTEP_MALLOC_RELAUNCH: "off" }]) {
      const r = spawnSync(process.execPath, [FIXTURE, "exit:0"], {
        encoding: "utf8",
        env: { ...cleanEnv(), ...extra },
      });
      expect(r.status).toBe(0);
      expect(JSON.parse(r.stdout.trim()).pid).toBe(r.pid);
    }
  });

  it("forwards SIGTERM to the child, and the child ends when the launcher is killed with SIGKILL", async () => {
    for (const signal of ["SIGTERM", "SIGKILL"] as const) {
      const launcher = spawn(process.execPath, [FIXTURE, "wait"], {
        env: cleanEnv(),
        stdio: ["ignore", "pipe", "inherit"],
      });
      const [line] = (await once(launcher.stdout!, "data")) as [Buffer];
      const child = JSON.parse(line.toString().trim()).pid as number;
      expect(child).not.toBe(launcher.pid);
      expect(alive(child)).toBe(true);
      launcher.kill(signal);
      await once(launcher, "exit");
      for (let i = 0; i < 100 && alive(child); i++) await new Promise((r) => setTimeout(r, 100));
      expect(alive(child)).toBe(false);
    }
  }, 30_000);
});
