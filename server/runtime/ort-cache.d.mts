// Types of ort-cache.mjs (plain JavaScript so the ORT worker loads it without a TS loader).
import type { InferenceSession } from "onnxruntime-node";

export interface OptimizedCache {
  dir: string;
  key: string;
}

export interface OptimizedCacheShape {
  provider: string;
  level: "disabled" | "basic" | "extended" | "all";
  freeDimensionOverrides?: Record<string, number>;
}

export function optimizedCachePath(cache: OptimizedCache, o: OptimizedCacheShape): string;

export function createCachedSession<T>(
  create: (path: string | Uint8Array, extra: InferenceSession.SessionOptions) => Promise<T>,
  source: string | Uint8Array,
  cache: OptimizedCache | undefined,
  o: OptimizedCacheShape,
): Promise<{ session: T; cache: "hit" | "saved" | "off" }>;

export function prefetchFiles(paths: string[]): import("node:child_process").ChildProcess | null;

export function cachedFilesOf(cache: OptimizedCache): string[];
