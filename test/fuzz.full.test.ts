// The full seeded fuzz of the input surfaces: 1000 hostile inputs each (graphs.validate, runs.start, /release_task,
// acestep validate), every one answered with a clear error, the server healthy after (issue 14 acceptance).
import { afterAll, beforeAll, describe, it } from "vitest";
import {
  expectHealthy,
  fuzzCliValidate,
  fuzzRelease,
  fuzzTrpc,
  startFuzzServer,
  type FuzzServer,
} from "./helpers/fuzz";

const RUNS = 1000;
let s: FuzzServer;
beforeAll(async () => {
  s = await startFuzzServer();
});
afterAll(() => s.close());

describe("fuzz (1000 hostile inputs per surface)", () => {
  it("graphs.validate", () => fuzzTrpc(s, "graphs.validate", RUNS));
  it("runs.start", () => fuzzTrpc(s, "runs.start", RUNS));
  it("/release_task", () => fuzzRelease(s, RUNS));
  it("acestep validate", () => fuzzCliValidate(RUNS));
  it("the server is healthy afterwards", () => expectHealthy(s));
});
