#!/usr/bin/env node
// The `acestep` command: loads the TypeScript CLI through tsx's loader (on Linux in a child process started with
// glibc malloc settings that give released model memory back: bin/relaunch.mjs).
import { relaunchWithMallocSettings } from "./relaunch.mjs";

await relaunchWithMallocSettings();
const { register } = await import("tsx/esm/api");
register();
const { main } = await import("../server/cli/main.ts");
process.exitCode = await main(process.argv.slice(2));
