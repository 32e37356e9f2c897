import { Counter, Gauge, Histogram, type Registry } from "prom-client";
import { SNAPSHOT_DAMAGE_REASONS } from "./snapshot-reader.ts";
import type { LoadOutcome, LoadReport } from "./snapshot-store.ts";
import type { SnapshotInfo } from "./snapshot-writer.ts";

/** What the snapshot store reports as it works; SnapshotStore and its writers call these. */
export interface SnapshotMetrics {
  /** A snapshot was committed. */
  written(info: SnapshotInfo): void;
  /** A snapshot was begun but not committed: a write, fsync or rename failed, or it was aborted. */
  failed(): void;
  /** loadNewest() finished. */
  loaded(report: LoadReport): void;
}

const OUTCOMES: readonly LoadOutcome[] = ["loaded", "fallback", "none"];

/** The snapshot store's metrics in a server's prom-client registry (`tessera_snapshot_*`). */
export class PrometheusSnapshotMetrics implements SnapshotMetrics {
  private readonly duration: Histogram;
  private readonly lastBytes: Gauge;
  private readonly lastLsn: Gauge;
  private readonly writtenCount: Counter;
  private readonly failedCount: Counter;
  private readonly outcome: Gauge<"outcome">;
  private readonly skipped: Gauge<"reason">;
  private readonly loadedLsn: Gauge;
  private readonly loadSeconds: Gauge;

  constructor(registry: Registry) {
    const registers = [registry];
    this.duration = new Histogram({
      name: "tessera_snapshot_duration_seconds",
      help: "Time from the start of a snapshot to its durable rename (serialization, write, fsync)",
      buckets: [0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300],
      registers,
    });
    this.lastBytes = new Gauge({ name: "tessera_snapshot_last_bytes", help: "Size of the last snapshot written", registers });
    this.lastLsn = new Gauge({ name: "tessera_snapshot_last_lsn", help: "LSN of the last snapshot written", registers });
    this.writtenCount = new Counter({ name: "tessera_snapshot_written_total", help: "Snapshots written (committed durably)", registers });
    this.failedCount = new Counter({
      name: "tessera_snapshot_failed_total",
      help: "Snapshots begun but not committed (a write, fsync or rename failed, or the snapshot was aborted)",
      registers,
    });
    this.outcome = new Gauge({
      name: "tessera_snapshot_load_outcome",
      help: "1 for how start-up loaded state: loaded (the newest snapshot), fallback (an older one, newer ones damaged), none (no usable snapshot: the whole log is replayed)",
      labelNames: ["outcome"],
      registers,
    });
    this.skipped = new Gauge({
      name: "tessera_snapshot_load_skipped",
      help: "Snapshots skipped at start-up as damaged or rejected (moved to <data-dir>/snapshots/quarantine), by reason",
      labelNames: ["reason"],
      registers,
    });
    this.loadedLsn = new Gauge({ name: "tessera_snapshot_load_lsn", help: "LSN of the snapshot loaded at start-up, 0 when none", registers });
    this.loadSeconds = new Gauge({ name: "tessera_snapshot_load_duration_seconds", help: "Time spent validating and loading snapshots at start-up", registers });
  }

  written(info: SnapshotInfo): void {
    this.writtenCount.inc();
    this.duration.observe(info.durationMs / 1000);
    this.lastBytes.set(info.bytes);
    this.lastLsn.set(info.lsn);
  }

  failed(): void {
    this.failedCount.inc();
  }

  loaded(report: LoadReport): void {
    for (const o of OUTCOMES) this.outcome.set({ outcome: o }, o === report.outcome ? 1 : 0);
    for (const reason of SNAPSHOT_DAMAGE_REASONS) this.skipped.set({ reason }, report.skipped.filter((s) => s.reason === reason).length);
    this.loadedLsn.set(report.loaded?.lsn ?? 0);
    this.loadSeconds.set(report.durationMs / 1000);
  }
}
