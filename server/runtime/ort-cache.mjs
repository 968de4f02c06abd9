// ORT's optimized-model cache, shared by the ORT worker (ort-worker.mjs) and the LM worker
// (server/runtime/lm/lm-worker.ts). The first session of a model file writes the optimized graph
// (SessionOptions.optimizedModelFilePath, initializers in an external file; onnxruntime
// include/onnxruntime/core/session/onnxruntime_session_options_config_keys.h,
// session.optimized_model_external_initializers_*), renamed into place only once complete; later sessions
// (in any process) are created from it with graph optimization off. Plain ESM JavaScript like ort-worker.mjs.
//
// A graph without com.microsoft MatMulNBits also keeps ORT's pre-packed weights in the cache
// (session.save_external_prepacked_constant_initializers): a later session maps them instead of packing every
// MatMul weight again (full-size fp32 text encoder: 1.5–2.0 s → 0.8–1.2 s to create; 1.8 GB → 0.1 GB resident
// after creation, the mapped pages come in on the first run), at the price of the packed copies on disk (+1.8 GB).
// Not with MatMulNBits: with ORT 1.30 two MatMulNBits nodes on distinct weights (int8, accuracy level 4) created
// from saved pre-packed weights compute zeros or garbage, and the int8 dit_step crashes (SIGSEGV) on its first run
// (server/runtime/ort-cache.test.ts, test/ort-cache-int8.full.test.ts).
import { spawn } from "node:child_process";
import {
  closeSync,
  existsSync,
  mkdirSync,
  openSync,
  readSync,
  readdirSync,
  renameSync,
  rmSync,
  statSync,
} from "node:fs";
import { createHash } from "node:crypto";
import { arch, cpus } from "node:os";
import { basename, dirname, join } from "node:path";
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
        "prepacked-unless-nbits", // what the entry holds besides the graph (see the top of this file)
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
    readAhead(dataFileOf(file));
    try {
      return { session: await create(file, { graphOptimizationLevel: "disabled" }), cache: "hit" };
    } catch {
      rmSync(file, { force: true }); // e.g. its data file went away: optimize again
    }
  }
  mkdirSync(cache.dir, { recursive: true });
  const prepacked = !mentions(source, "MatMulNBits");
  const tag = `${process.pid}-${Date.now().toString(36)}-${Math.random().toString(36).slice(2, 8)}`;
  const tmp = `${file}.tmp-${tag}`;
  const session = await create(source, {
    optimizedModelFilePath: tmp,
    extra: {
      session: {
        optimized_model_external_initializers_file_name: `${basename(file)}.${tag}.data`,
        optimized_model_external_initializers_min_size_in_bytes: "1024",
        ...(prepacked ? { save_external_prepacked_constant_initializers: "1" } : {}),
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

/**
 * Whether the bytes of the file at `path` contain the ASCII string `word` (an op type in the model's NodeProtos;
 * our serializer writes the nodes before the initializers, so a graph that uses the op matches in its first chunk).
 * Read in 16 MiB chunks; a match inside weight bytes only errs on the safe side.
 */
function mentions(path, word) {
  const needle = Buffer.from(word, "latin1");
  const chunk = Buffer.allocUnsafe(16 << 20);
  const fd = openSync(path, "r");
  try {
    let pos = 0;
    let keep = 0; // bytes carried over from the previous chunk, so a match across chunks is found
    for (;;) {
      const n = readSync(fd, chunk, keep, chunk.length - keep, pos);
      if (n === 0) return false;
      const end = keep + n;
      if (chunk.subarray(0, end).includes(needle)) return true;
      pos += n;
      keep = Math.min(needle.length - 1, end);
      chunk.copy(chunk, 0, end - keep, end);
    }
  } finally {
    closeSync(fd);
  }
}

/** The external-data file ORT wrote beside a cached graph (`${basename(file)}.<tag>.data`), or null. */
function dataFileOf(file) {
  const prefix = `${basename(file)}.`;
  const name = readdirSync(dirname(file)).find((f) => f.startsWith(prefix) && f.endsWith(".data"));
  return name ? join(dirname(file), name) : null;
}

const READ_AHEAD_MIN_BYTES = 256 * 2 ** 20;
// reads each file named on its command line once, front to back (an unreadable one is skipped)
const READER =
  'const fs=require("fs");const b=Buffer.allocUnsafe(8<<20);for(const p of process.argv.slice(1)){try{' +
  'const fd=fs.openSync(p,"r");while(fs.readSync(fd,b,0,b.length,null)>0);fs.closeSync(fd)}catch{}}';

/**
 * Reads a large cached data file through the page cache in a separate process while ORT creates the session. ORT
 * maps the cached initializers and faults each weight in just before packing it, so on a cold page cache the disk
 * waits for the packing and the packing for the disk; a sequential reader running ahead overlaps the two (full-size
 * int8 dit_step, its 1.8 GB data file dropped from the page cache: 3.2–5.0 s → 3.2–3.7 s; in the page cache:
 * 2.5 s either way, noisy on a shared machine). A process, not this thread's libuv pool, so other file operations
 * of the app never queue behind it.
 */
function readAhead(path) {
  if (!path) return;
  try {
    if (statSync(path).size < READ_AHEAD_MIN_BYTES) return;
  } catch {
    return; // no file: ORT reports it
  }
  prefetchFiles([path]);
}

/**
 * Reads `paths` through the page cache one after the other in one background process (READER), so that sessions
 * created later find their files in memory. Returns the reader, or null when it could not start (nothing breaks:
 * the session reads the files itself).
 */
export function prefetchFiles(paths) {
  if (paths.length === 0) return null;
  try {
    const child = spawn(process.execPath, ["-e", READER, ...paths], {
      stdio: "ignore",
      env: { ...process.env, NODE_OPTIONS: "" },
    });
    child.on("error", () => {}); // no reader: ORT reads the files itself
    child.unref();
    return child;
  } catch {
    return null;
  }
}

/** The files of `cache`'s entries (the optimized graphs of one model file and their data files); [] when none. */
export function cachedFilesOf(cache) {
  try {
    return readdirSync(cache.dir)
      .filter((f) => f.startsWith(`${cache.key}-`) && !f.includes(".tmp-"))
      .map((f) => join(cache.dir, f));
  } catch {
    return [];
  }
}
