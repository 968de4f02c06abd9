// Vitest global setup: onnxruntime runs with one intra-op thread in the test processes unless ACESTEP_THREADS
// says otherwise (read by ortThreads, server/runtime/threads.ts, for the session host, the LM and the app config).
// Vitest already runs a test file per core;
// a second ORT thread per process only spin-waits for work on this 2-core machine (test/examples.test.ts: 22 CPU-s
// with 2 threads, 15 CPU-s and less wall time with 1). Tests that need more threads pass `threads` explicitly.
export default function setup(): void {
  process.env.ACESTEP_THREADS ??= "1";
}
