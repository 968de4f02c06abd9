// Process leases: every process that executes runs on a data folder holds a row (id, pid, host, heartbeat) in
// the store. A run is only ever declared `interrupted` (or its queued runs adopted) once its owner's lease has
// expired, so a CLI or library process on the server's data folder never touches the server's runs.
import { randomUUID } from "node:crypto";
import { hostname } from "node:os";
import type { RunStore } from "./store";

export interface LeaseOptions {
  /** What the process is ("serve", "cli", "library", "worker"): shown in stats. */
  role: string;
  /** A lease whose heartbeat is older than this has expired (default 20 s). */
  ttlMs?: number;
  /** How often the heartbeat is written (default 2 s). */
  heartbeatMs?: number;
}

export interface LeaseRow {
  id: string;
  pid: number;
  host: string;
  role: string;
  heartbeat: number;
  started_at: number;
}

const HOST = hostname();
/** Leases held by this process (one process may open several contexts, as tests do). */
const OWN = new Set<string>();

/** True while the process behind a lease may still be alive. */
export function leaseAlive(row: LeaseRow, now: number, ttlMs: number, selfId: string): boolean {
  if (row.id === selfId || OWN.has(row.id)) return true;
  if (now - row.heartbeat > ttlMs) return false;
  if (row.host !== HOST) return true;
  // Same machine: a lease that names this very process (an earlier process had the same pid, as pid 1 in a
  // container) or a process that no longer exists has expired at once, without waiting for the ttl.
  if (row.pid === process.pid) return false;
  try {
    process.kill(row.pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === "EPERM";
  }
}

export class Lease {
  readonly id = randomUUID();
  readonly ttlMs: number;
  readonly heartbeatMs: number;
  private timer: NodeJS.Timeout | undefined;
  private released = false;

  constructor(
    private readonly store: RunStore,
    readonly opts: LeaseOptions,
  ) {
    this.ttlMs = opts.ttlMs ?? 20_000;
    this.heartbeatMs = opts.heartbeatMs ?? 2_000;
    const now = Date.now();
    store.db
      .prepare("INSERT INTO leases (id,pid,host,role,heartbeat,started_at) VALUES (?,?,?,?,?,?)")
      .run(this.id, process.pid, HOST, opts.role, now, now);
    OWN.add(this.id);
  }

  /** Writes the heartbeat every heartbeatMs and calls onTick after it (the timer does not keep the process alive). */
  start(onTick: () => void): void {
    this.timer ??= setInterval(() => {
      if (this.released) return;
      try {
        this.beat();
        onTick();
      } catch (e) {
        console.error(`lease ${this.id}: heartbeat failed: ${(e as Error).message}`);
      }
    }, this.heartbeatMs);
    this.timer.unref();
  }

  beat(now = Date.now()): void {
    // A process that was paused past the ttl and swept by another one writes its row again.
    this.store.db
      .prepare(
        "INSERT INTO leases (id,pid,host,role,heartbeat,started_at) VALUES (?,?,?,?,?,?) ON CONFLICT(id) DO UPDATE SET heartbeat=excluded.heartbeat",
      )
      .run(this.id, process.pid, HOST, this.opts.role, now, now);
  }

  /** Ids of the leases that are alive now (this one included). */
  liveIds(now = Date.now()): Set<string> {
    return new Set(
      this.rows()
        .filter((r) => leaseAlive(r, now, this.ttlMs, this.id))
        .map((r) => r.id),
    );
  }

  rows(): LeaseRow[] {
    return this.store.db.prepare("SELECT * FROM leases ORDER BY started_at").all() as LeaseRow[];
  }

  /** Deletes the rows of expired leases (after their runs were settled). */
  forgetExpired(live: Set<string>): void {
    const del = this.store.db.prepare("DELETE FROM leases WHERE id=?");
    for (const r of this.rows()) if (!live.has(r.id)) del.run(r.id);
  }

  /** Stops the heartbeat and deletes the row: this process's queued runs become adoptable at once. */
  release(): void {
    if (this.released) return;
    this.released = true;
    clearInterval(this.timer);
    OWN.delete(this.id);
    this.store.db.prepare("DELETE FROM leases WHERE id=?").run(this.id);
  }
}
