// A quick seeded fuzz of the input surfaces (100 cases each); test/fuzz.full.test.ts runs 1000 each.
import { afterAll, beforeAll, describe, it } from "vitest";
import {
  expectHealthy,
  fuzzCliValidate,
  fuzzRelease,
  fuzzTrpc,
  startFuzzServer,
  type FuzzServer,
} from "./helpers/fuzz";

const RUNS = 100;
let s: FuzzServer;
beforeAll(async () => {
  s = await startFuzzServer();
});
afterAll(() => s.close());

describe("fuzz (100 hostile inputs per surface)", () => {
  it("graphs.validate answers each with issues or a clear error", () => fuzzTrpc(s, "graphs.validate", RUNS));
  it("runs.start answers each with a run or a clear error", () => fuzzTrpc(s, "runs.start", RUNS));
  it("/release_task answers each with a task or a clear error", () => fuzzRelease(s, RUNS));
  it("acestep validate answers each with exit 0/1 and a message", () => fuzzCliValidate(RUNS));
  it("the server is healthy afterwards", () => expectHealthy(s));
});
