// Where onnxruntime-node keeps its native binaries, and whether its CUDA execution provider files
// are there. The CUDA EP .so files only exist when the package postinstall ran with
// ONNXRUNTIME_NODE_INSTALL=cuda12 (see README.md); a default install here has CPU only.
import { existsSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";

export type ExecutionProviderChoice = "auto" | "cpu" | "cuda";

/** The package's native bin dir for this platform, e.g. …/onnxruntime-node/bin/napi-v6/linux/x64. */
export function ortBinDir(): string {
  const pkg = createRequire(import.meta.url).resolve("onnxruntime-node/package.json");
  return join(dirname(pkg), "bin", "napi-v6", process.platform, process.arch);
}

/** The CUDA provider library the postinstall would download next to libonnxruntime. */
export function cudaProviderLibrary(): string {
  return join(ortBinDir(), "libonnxruntime_providers_cuda.so");
}

/** Cheap file check: are the CUDA EP binaries installed (linux only)? */
export function cudaBinariesPresent(): { present: boolean; reason: string } {
  if (process.platform !== "linux")
    return { present: false, reason: `CUDA EP is only wired up on linux (platform ${process.platform})` };
  const lib = cudaProviderLibrary();
  const shared = join(ortBinDir(), "libonnxruntime_providers_shared.so");
  if (!existsSync(lib)) return { present: false, reason: `CUDA EP not installed: ${lib} is missing` };
  if (!existsSync(shared)) return { present: false, reason: `CUDA EP incomplete: ${shared} is missing` };
  return { present: true, reason: `CUDA EP binaries found in ${ortBinDir()}` };
}
