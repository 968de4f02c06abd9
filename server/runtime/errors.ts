// Errors raised by the ORT runtime. Each message starts with its subsystem and names the model
// id and/or file involved, so a failure can be traced without a stack.

/** A model file is missing, unreadable or not a valid ONNX model. `file` is the path (or label). */
export class ModelLoadError extends Error {
  override name = "ModelLoadError";
  constructor(
    message: string,
    readonly file: string,
    readonly modelId?: string,
  ) {
    super(message);
  }
}

/** The ORT worker thread exited or crashed while calls were pending. */
export class WorkerCrashedError extends Error {
  override name = "WorkerCrashedError";
  constructor(
    message: string,
    readonly exitCode?: number,
  ) {
    super(message);
  }
}

/** A session run failed inside ORT (bad feed shape or type, kernel error, …). */
export class RunError extends Error {
  override name = "RunError";
  constructor(
    message: string,
    readonly modelId: string,
  ) {
    super(message);
  }
}

/** run()/unload() on an id that the worker does not hold (never loaded, unloaded, or lost in a crash). */
export class SessionNotLoadedError extends Error {
  override name = "SessionNotLoadedError";
  constructor(
    readonly modelId: string,
    detail = "",
  ) {
    super(`ort runtime: model '${modelId}' is not loaded${detail ? ` (${detail})` : ""}`);
  }
}

/** The error an aborted call rejects with (same shape as DOM AbortError). */
export function abortError(signal: AbortSignal, what: string): Error {
  const reason: unknown = signal.reason;
  if (reason instanceof Error && reason.name !== "AbortError") return reason;
  const e = new Error(`ort runtime: ${what} aborted`);
  e.name = "AbortError";
  return e;
}
