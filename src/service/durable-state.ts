import { join } from "node:path";
import type { TesseraConfig } from "../config.ts";
import { Engine } from "../engine/index.ts";
import type { Logger } from "../logger.ts";
import { FileCommandLog } from "../storage/file-command-log.ts";
import { PrometheusLogMetrics } from "../storage/log-metrics.ts";
import { PrometheusSnapshotMetrics } from "../storage/snapshot-metrics.ts";
import { SnapshotStore } from "../storage/snapshot-store.ts";
import type { ServerMetrics } from "../transport/metrics.ts";
import { ControlPlane, replayCommand } from "./auth-control-plane.ts";
import type { Clock } from "./clock.ts";
import { MemoryCommandLog, type CommandLog } from "./command-log.ts";
import { Snapshotter } from "./snapshotter.ts";

/** The state a server runs on, rebuilt from disk (or new, in memory-only mode). */
export interface DurableState {
  readonly engine: Engine;
  readonly controlPlane: ControlPlane;
  readonly log: CommandLog;
  /** Undefined in memory-only mode. */
  readonly snapshotter: Snapshotter | undefined;
  /** Flushes: a final snapshot, then the log closed (fsynced). Never throws; failures are logged. */
  close(): Promise<void>;
}

export interface OpenStateOptions {
  readonly config: TesseraConfig;
  readonly clock: Clock;
  readonly logger: Logger;
  readonly metrics: ServerMetrics;
  /** The log failed a write or fsync: the server must refuse writes and stop being ready. */
  readonly onLogFailure: () => void;
}

/**
 * Recovery (DESIGN §7): the newest snapshot that validates and loads (older ones when it does not),
 * then the command log after it, replayed with each command's recorded time; all before any listener
 * opens, so /ready means recovered. Memory-only mode: empty state, LSNs counted in memory.
 */
export async function openDurableState(options: OpenStateOptions): Promise<DurableState> {
  const { config, logger, metrics } = options;
  if (config.memoryOnly) {
    return { engine: new Engine(), controlPlane: new ControlPlane(), log: new MemoryCommandLog(), snapshotter: undefined, close: async () => {} };
  }
  const started = performance.now();
  const store = await SnapshotStore.open({ dir: join(config.dataDir, "snapshots"), keep: config.snapshotKeep, metrics: new PrometheusSnapshotMetrics(metrics.registry) });
  let engine = new Engine();
  let controlPlane = new ControlPlane();
  let snapshotLsn = 0;
  const loaded = await store.loadNewest((snapshot) => {
    const engineChunks: Uint8Array[] = [];
    let controlState: Uint8Array | undefined;
    for (const chunk of snapshot.chunks) {
      if (chunk.section === "engine") engineChunks.push(chunk.bytes);
      else controlState = chunk.bytes;
    }
    // Built aside and swapped in only when both parts load, so a rejected snapshot leaves nothing behind.
    const restoredEngine = Engine.fromSnapshot(engineChunks);
    const restoredControl = controlState === undefined ? new ControlPlane() : ControlPlane.fromState(controlState);
    engine = restoredEngine;
    controlPlane = restoredControl;
    snapshotLsn = snapshot.lsn;
  });
  for (const s of loaded.skipped) {
    logger.warn({ file: s.file, reason: s.reason, offset: s.offset, quarantined: s.quarantined }, "snapshot damaged: falling back to the previous one");
  }
  logger.info({ lsn: snapshotLsn, durationMs: Math.round(performance.now() - started) }, snapshotLsn === 0 ? "no snapshot: replaying the whole command log" : "snapshot loaded");

  const log = await FileCommandLog.open({
    dir: join(config.dataDir, "log"),
    fsync: config.fsync,
    fromLsn: snapshotLsn + 1,
    onRecord: (r) => replayCommand(engine, controlPlane, r.command, r.lsn, r.now),
    metrics: new PrometheusLogMetrics(metrics.registry),
    onFailure: (err, cause) => {
      logger.error({ err: cause }, `${err.message}: refusing writes until restart`);
      options.onLogFailure();
    },
  });
  const r = log.recovery;
  logger.info({ replayed: r.replayed, lastLsn: r.lastValidLsn, durationMs: Math.round(r.durationMs) }, "command log recovered");
  if (r.damage !== undefined) {
    logger.warn(
      { reason: r.damage.reason, file: r.damage.file, offset: r.damage.offset, droppedBytes: r.damage.droppedBytes, quarantined: r.damage.quarantined },
      "command log damaged: replay stopped at the first bad record; the rest is quarantined",
    );
  }
  if (r.gaps.length > 0) logger.error({ gaps: r.gaps }, "command log has gaps: records are missing");

  const snapshotter = new Snapshotter({
    engine,
    controlPlane,
    store,
    log,
    clock: options.clock,
    logger,
    intervalMs: config.snapshotIntervalMs,
    every: config.snapshotEvery,
    recoveredLsn: snapshotLsn,
    registry: metrics.registry,
  });
  const close = async (): Promise<void> => {
    try {
      // No final snapshot after a failed log write (Snapshotter.close).
      await snapshotter.close();
    } catch {
      // Logged by the snapshotter; the log below still holds everything.
    }
    try {
      await log.close();
    } catch (err) {
      logger.error({ err }, "command log did not close cleanly");
    }
  };
  return { engine, controlPlane, log, snapshotter, close };
}
