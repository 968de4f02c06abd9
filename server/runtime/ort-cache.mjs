// ORT's optimized-model cache, shared by the ORT worker (ort-worker.mjs) and the LM worker
// (server/runtime/lm/lm-worker.ts). The first session of a model file writes the optimized graph
// (SessionOptions.optimizedModelFilePath, initializers in an external file; onnxruntime
// include/onnxruntime/core/session/onnxruntime_session_options_config_keys.h,
// session.optimized_model_external_initializers_*), renamed into place only once complete; later sessions
// (in any process) are created from it with graph optimization off. Plain ESM JavaScript like ort-worker.mjs.
import { existsSync, mkdirSync, renameSync, rmSync } from "node:fs";
import { createHash } from "node:crypto";
import { arch, cpus } from "node:os";
import { basename, join } from "node:path";
import ort from "onnxruntime-node";

/**
 * Where the optimized graph of a model is cached: named by the caller's key (the model's content hash) and what
 * shapes the optimized graph — ORT version, provider, optimization level, free-dimension overrides and the CPU
 * (level "all" adds hardware-specific layouts such as NCHWc; ORT says such a model is only for the machine that
 * optimized it).
 */
export function optimizedCachePath(cache, o) {
  const shape = createHash("sha256")
    .update(
      JSON.stringify([
        ort.env.versions?.common ?? "",
        o.provider,
        o.level,
        o.freeDimensionOverrides ?? null,
        arch(),
        cpus()[0]?.model ?? "",
      ]),
    )
    .digest("hex")
    .slice(0, 16);
  return join(cache.dir, `${cache.key}-${o.provider}-${o.level}-${shape}.onnx`);
}

/**
 * `create(path, extraOptions)` through the cache: from the cached graph with graph optimization off ("hit"), or
 * from `source` while ORT saves the optimized graph ("saved"); without a cache (or a source that is not a file)
 * just `create(source, {})` ("off"). An unreadable cache entry is removed and rebuilt.
 */
export async function createCachedSession(create, source, cache, o) {
  if (!cache || typeof source !== "string") return { session: await create(source, {}), cache: "off" };
  const file = optimizedCachePath(cache, o);
  if (existsSync(file)) {
    try {
      return { session: await create(file, { graphOptimizationLevel: "disabled" }), cache: "hit" };
    } catch {
      rmSync(file, { force: true }); // e.g. its data file went away: optimize again
    }
  }
  mkdirSync(cache.dir, { recursive: true });
  const tag = `${process.pid}-${Date.now().toString(36)}-${Math.random().toString(36).slice(2, 8)}`;
  const tmp = `${file}.tmp-${tag}`;
  const session = await create(source, {
    optimizedModelFilePath: tmp,
    extra: {
      session: {
        optimized_model_external_initializers_file_name: `${basename(file)}.${tag}.data`,
        optimized_model_external_initializers_min_size_in_bytes: "1024",
        // Not save_external_prepacked_constant_initializers: with ORT 1.30 an int8 (MatMulNBits) dit_step created
        // from a cache holding its pre-packed weights crashed the process on its first run (SIGSEGV;
        // test/ort-cache-int8.full.test.ts), and the packed copies doubled the cache on disk.
      },
    },
  });
  try {
    renameSync(tmp, file);
    return { session, cache: "saved" };
  } catch {
    rmSync(tmp, { force: true });
    return { session, cache: "off" };
  }
}
