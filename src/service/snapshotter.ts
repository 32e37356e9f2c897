import { setImmediate as nextTurn } from "node:timers/promises";
import { Gauge, type Registry } from "prom-client";
import type { Engine } from "../engine/index.ts";
import type { Logger } from "../logger.ts";
import type { SnapshotInfo, SnapshotStore } from "../storage/snapshot-store.ts";
import type { ControlPlane } from "./auth-control-plane.ts";
import type { Clock } from "./clock.ts";

/** A snapshot written: the file's info and the longest serialization slice (what a request could wait). */
export interface TakenSnapshot extends SnapshotInfo {
  readonly maxPauseMs: number;
}

/** What the snapshotter needs of the command log: where it is, and reclaiming what a snapshot covers. */
export interface SnapshotLog {
  /** The LSN of the last appended record (applied to the state in the same turn). */
  readonly lastLsn: number;
  /**
   * True once a write failed: the state may then hold commands that were refused, not acknowledged,
   * and they must not become durable through a snapshot.
   */
  readonly failed: boolean;
  /** Resolves once every record up to `lsn` is durable; undefined when they already are. */
  whenDurable(lsn: number): Promise<void> | undefined;
  deleteBefore(lsn: number): Promise<number>;
}

export interface SnapshotterOptions {
  readonly engine: Engine;
  readonly controlPlane: ControlPlane;
  readonly store: SnapshotStore;
  readonly log: SnapshotLog;
  readonly clock: Clock;
  readonly logger: Logger;
  /** A snapshot at most this often when something changed; 0 disables periodic snapshots. */
  readonly intervalMs: number;
  /** Also a snapshot once this many records were appended since the last one; 0 disables. */
  readonly every: number;
  /** The LSN the state was recovered from (the newest valid snapshot's), 0 when none. */
  readonly recoveredLsn: number;
  /**
   * Engine bytes serialized per event-loop turn. Pushes wait at most one slice, so this bounds the
   * pause a snapshot adds to a request. Default 256 KiB.
   */
  readonly sliceBytes?: number;
  /** How often the every-N trigger is checked. Default 1000 ms. */
  readonly checkIntervalMs?: number;
  readonly registry?: Registry;
}

/**
 * Takes snapshots of the whole state (engine and control plane) while the server runs, then reclaims
 * the command log they cover. The engine snapshot is copy-on-write: it is begun between two commands
 * and serialized in slices across event-loop turns, so requests keep being served meanwhile and the
 * file still holds the state as of its LSN.
 */
export class Snapshotter {
  private readonly o: SnapshotterOptions;
  private readonly sliceBytes: number;
  private readonly timer: NodeJS.Timeout | undefined;
  private lastLsn: number;
  private lastAt: number;
  private running: Promise<TakenSnapshot | undefined> | undefined;
  private closed = false;
  private readonly pause: Gauge | undefined;

  constructor(options: SnapshotterOptions) {
    this.o = options;
    this.sliceBytes = options.sliceBytes ?? 256 * 1024;
    this.lastLsn = options.recoveredLsn;
    this.lastAt = performance.now();
    if (options.registry !== undefined) {
      this.pause = new Gauge({
        name: "tessera_snapshot_last_max_pause_seconds",
        help: "Longest single serialization slice of the last snapshot (what a request could wait)",
        registers: [options.registry],
      });
    }
    if (options.intervalMs > 0 || options.every > 0) {
      this.timer = setInterval(() => this.tick(), Math.min(options.checkIntervalMs ?? 1000, options.intervalMs > 0 ? options.intervalMs : Infinity));
      this.timer.unref();
    }
  }

  /** The LSN of the newest snapshot on disk (taken or recovered from), 0 when none. */
  get snapshotLsn(): number {
    return this.lastLsn;
  }

  /**
   * Takes a snapshot now unless the state has not changed since the last one; joins one in progress.
   * Resolves with what was written (undefined when nothing was needed).
   */
  snapshot(): Promise<TakenSnapshot | undefined> {
    this.running ??= this.take().finally(() => {
      this.running = undefined;
    });
    return this.running;
  }

  /**
   * Stops the timer and writes a final snapshot (call after the listeners drained, before the log
   * closes); none when the log failed. A snapshot requested meanwhile joins this one.
   */
  async close(): Promise<TakenSnapshot | undefined> {
    this.closed = true;
    if (this.timer !== undefined) clearInterval(this.timer);
    await this.running?.catch(() => undefined);
    if (this.o.log.failed) return undefined;
    return this.snapshot();
  }

  private tick(): void {
    if (this.closed || this.running !== undefined || this.o.log.failed) return;
    const pending = this.o.log.lastLsn - this.lastLsn;
    if (pending <= 0) return;
    // Wall time, not the engine clock: a pinned test clock must not stop snapshots.
    const due = this.o.intervalMs > 0 && performance.now() - this.lastAt >= this.o.intervalMs;
    const full = this.o.every > 0 && pending >= this.o.every;
    if (!due && !full) return;
    // A failure is logged by take(); the next tick tries again.
    this.snapshot().catch(() => undefined);
  }

  private async take(): Promise<TakenSnapshot | undefined> {
    const { engine, controlPlane, store, log, logger } = this.o;
    const lsn = log.lastLsn;
    if (lsn <= this.lastLsn) return undefined;
    const started = performance.now();
    // Both parts are captured in this turn, between two commands: the control plane whole (it is
    // small), the engine as a copy-on-write snapshot serialized below.
    const engineSnapshot = engine.beginSnapshot();
    const controlState = controlPlane.exportState();
    const writer = store.begin({ lsn, now: this.o.clock.now() });
    let maxPause = 0;
    try {
      await writer.write("control_plane", controlState);
      while (!engineSnapshot.done) {
        const t = performance.now();
        const chunks = engineSnapshot.next(this.sliceBytes);
        maxPause = Math.max(maxPause, performance.now() - t);
        for (const c of chunks) await writer.write("engine", c);
        if (!this.closed) await nextTurn();
      }
      // A snapshot never gets ahead of the log: were it renamed into place holding a command whose
      // record a crash then lost, that command's LSN would be handed out again after recovery.
      await log.whenDurable(lsn);
      const info = await writer.commit();
      this.lastLsn = lsn;
      this.lastAt = performance.now();
      this.pause?.set(maxPause / 1000);
      const reclaimed = await log.deleteBefore(store.oldestKeptLsn + 1);
      logger.info(
        { lsn, bytes: info.bytes, durationMs: Math.round(performance.now() - started), maxPauseMs: Number(maxPause.toFixed(2)), reclaimedSegments: reclaimed },
        "snapshot written",
      );
      return { ...info, maxPauseMs: maxPause };
    } catch (err) {
      engineSnapshot.abort();
      await writer.abort().catch(() => undefined);
      logger.error({ err, lsn }, "snapshot failed; the command log is kept and the next attempt starts over");
      throw err;
    }
  }
}
