// Start-up self-test: load a tiny in-memory model (f32 MatMul+Add, int64 Add) in the ORT worker,
// run it, check the exact outputs, and report versions and the execution provider.
import { createSessionHost, type HostInfo, type SessionHost } from "./session-host";
import { checkSelfTestOutputs, selfTestFeeds, selfTestModelBytes } from "./self-test-model";

export interface RuntimeInfo extends HostInfo {
  node: string;
  platform: string;
  selfTest: { ok: boolean; ms: number; error?: string };
}

const SELF_TEST_ID = "__ort_runtime_self_test__";
const cache = new WeakMap<SessionHost, Promise<RuntimeInfo>>();

/** Runs the self-test on `host`; never throws, a failure is reported in selfTest.error. */
export async function runSelfTest(host: SessionHost): Promise<RuntimeInfo> {
  const t0 = performance.now();
  let error: string | undefined;
  try {
    await host.load(SELF_TEST_ID, selfTestModelBytes());
    const out = await host.run(SELF_TEST_ID, selfTestFeeds());
    error = checkSelfTestOutputs(out) ?? undefined;
  } catch (e) {
    error = e instanceof Error ? `${e.name}: ${e.message}` : String(e);
  } finally {
    await host.unload(SELF_TEST_ID).catch(() => {});
  }
  const ms = performance.now() - t0;
  let info: HostInfo;
  try {
    info = await host.info();
  } catch (e) {
    const reason = e instanceof Error ? e.message : String(e);
    info = { provider: "cpu", threads: 0, cudaAvailable: false, reason, versions: {}, fallbacks: [] };
    error ??= reason;
  }
  return {
    ...info,
    node: process.versions.node,
    platform: `${process.platform}-${process.arch}`,
    selfTest: { ok: !error, ms, error },
  };
}

/**
 * Versions, provider and self-test result for `host` (cached per host). Without a host, a
 * temporary one-thread host is started, tested and closed.
 */
export function runtimeInfo(host?: SessionHost): Promise<RuntimeInfo> {
  if (!host) {
    const tmp = createSessionHost({ threads: 1 });
    return runSelfTest(tmp).finally(() => tmp.close());
  }
  let p = cache.get(host);
  if (!p) {
    p = runSelfTest(host);
    cache.set(host, p);
  }
  return p;
}
