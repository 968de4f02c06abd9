// Reading a request body with a size cap, declared (Content-Length) or not (chunked). An oversized body is
// answered 413, not a connection reset: the rest of the body is discarded (never buffered) so the client
// gets to read the answer; a body that goes on longer than DRAIN_MS has its connection cut.
import type { IncomingMessage, ServerResponse } from "node:http";
import { sendJson } from "./respond";

export class BodyTooLargeError extends Error {
  readonly status = 413;
  constructor(
    readonly limit: number,
    readonly declared?: number,
  ) {
    super(
      declared !== undefined
        ? `the request body is ${declared} bytes; the limit is ${limit} bytes`
        : `the request body is larger than the limit of ${limit} bytes`,
    );
    this.name = "BodyTooLargeError";
  }
}

export class BodyInterruptedError extends Error {
  readonly status = 400;
  constructor() {
    super("the request body was interrupted");
    this.name = "BodyInterruptedError";
  }
}

/** How long an oversized body is drained before the connection is cut. */
const DRAIN_MS = 10_000;

/** Lets the rest of the body flow into nothing, so the 413 can be read; cuts the connection if it goes on. */
export function discardBody(req: IncomingMessage): void {
  const cut = setTimeout(() => req.socket.destroy(), DRAIN_MS);
  cut.unref();
  req.once("end", () => clearTimeout(cut));
  req.once("close", () => clearTimeout(cut));
  req.resume();
}

/** The whole body, or BodyTooLargeError past `max` bytes (checked before reading when Content-Length says so). */
export function readCapped(req: IncomingMessage, max: number): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const declared = Number(req.headers["content-length"]);
    if (Number.isFinite(declared) && declared > max) {
      discardBody(req);
      return reject(new BodyTooLargeError(max, declared));
    }
    const chunks: Buffer[] = [];
    let total = 0;
    let over = false;
    const onData = (c: Buffer) => {
      total += c.length;
      if (total <= max) return void chunks.push(c);
      over = true;
      chunks.length = 0;
      req.off("data", onData);
      discardBody(req);
      reject(new BodyTooLargeError(max));
    };
    req.on("data", onData);
    req.once("end", () => {
      if (!over) resolve(Buffer.concat(chunks));
    });
    req.once("error", () => reject(new BodyInterruptedError()));
    req.once("aborted", () => reject(new BodyInterruptedError()));
  });
}

/** Answers a body error as JSON (the connection stays open while the rest of the body is discarded). */
export function sendBodyError(
  res: ServerResponse,
  e: BodyTooLargeError | BodyInterruptedError,
  body: (message: string) => unknown = (error) => ({ error }),
): void {
  sendJson(res, e.status, body(e.message));
}

export const isBodyError = (e: unknown): e is BodyTooLargeError | BodyInterruptedError =>
  e instanceof BodyTooLargeError || e instanceof BodyInterruptedError;
