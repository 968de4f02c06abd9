// Errors a node throws and the engine understands: cancellation, and node errors that name a field.

export class CancelledError extends Error {
  constructor(message = "the run was cancelled") {
    super(message);
    this.name = "CancelledError";
  }
}

/** Thrown by a node to report a user error on one of its params or inputs. */
export class NodeError extends Error {
  constructor(
    message: string,
    readonly field?: string,
  ) {
    super(message);
    this.name = "NodeError";
  }
}

export function isCancelled(e: unknown, signal?: AbortSignal): boolean {
  return e instanceof CancelledError || (signal?.aborted === true && (e as Error)?.name === "AbortError");
}
