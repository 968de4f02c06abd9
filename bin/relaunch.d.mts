// Types of bin/relaunch.mjs (plain JavaScript so the command can run it before tsx is loaded).
export declare const MALLOC_SETTINGS: Readonly<Record<"MALLOC_MMAP_THRESHOLD_" | "MALLOC_TRIM_THRESHOLD_", string>>;
/** Relaunches the process once with MALLOC_SETTINGS on Linux; resolves in the process that should go on. */
export declare function relaunchWithMallocSettings(): Promise<void>;
