import { Counter, Gauge, Histogram, type Registry } from "prom-client";
import type { RecoveryReport } from "./recover-log.ts";

/** What the command log reports as it works; FileCommandLog and recoverLog call these. */
export interface CommandLogMetrics {
  /** One group-commit batch reached its segment file. */
  batchWritten(records: number, bytes: number): void;
  /** One fdatasync of a segment, in seconds. */
  synced(seconds: number): void;
  /** The log stopped accepting appends after a failed write or fsync. */
  failed(): void;
  /** Recovery finished. */
  recovered(report: RecoveryReport): void;
}

/** The command log's metrics in a server's prom-client registry (`tessera_log_*`). */
export class PrometheusLogMetrics implements CommandLogMetrics {
  private readonly bytes: Counter;
  private readonly records: Counter;
  private readonly batchRecords: Histogram;
  private readonly fsyncSeconds: Histogram;
  private readonly failedGauge: Gauge;
  private readonly replayed: Gauge;
  private readonly recoverySeconds: Gauge;
  private readonly droppedBytes: Gauge;
  private readonly damaged: Gauge<"reason">;

  constructor(registry: Registry) {
    const registers = [registry];
    this.bytes = new Counter({ name: "tessera_log_written_bytes_total", help: "Bytes written to command log segments", registers });
    this.records = new Counter({ name: "tessera_log_written_records_total", help: "Records written to the command log", registers });
    this.batchRecords = new Histogram({
      name: "tessera_log_batch_records",
      help: "Records per group-commit batch (one write, and one fsync under --fsync always)",
      buckets: [1, 2, 4, 8, 16, 32, 64, 128, 256, 512, 1024, 4096, 16384],
      registers,
    });
    this.fsyncSeconds = new Histogram({
      name: "tessera_log_fsync_duration_seconds",
      help: "Duration of one fdatasync of a command log segment",
      buckets: [0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1],
      registers,
    });
    this.failedGauge = new Gauge({
      name: "tessera_log_failed",
      help: "1 once a command log write or fsync failed; appends are refused until restart",
      registers,
    });
    this.replayed = new Gauge({ name: "tessera_log_recovery_replayed_records", help: "Records replayed from the command log at start-up", registers });
    this.recoverySeconds = new Gauge({ name: "tessera_log_recovery_duration_seconds", help: "Time spent reading the command log at start-up", registers });
    this.droppedBytes = new Gauge({
      name: "tessera_log_recovery_dropped_bytes",
      help: "Bytes cut from a torn or corrupt log tail at start-up (kept in <data-dir>/log/quarantine)",
      registers,
    });
    this.damaged = new Gauge({
      name: "tessera_log_recovery_damaged",
      help: "1 when start-up recovery stopped at damage, labelled with its reason",
      labelNames: ["reason"],
      registers,
    });
  }

  batchWritten(records: number, bytes: number): void {
    this.records.inc(records);
    this.bytes.inc(bytes);
    this.batchRecords.observe(records);
  }

  synced(seconds: number): void {
    this.fsyncSeconds.observe(seconds);
  }

  failed(): void {
    this.failedGauge.set(1);
  }

  recovered(report: RecoveryReport): void {
    this.replayed.set(report.replayed);
    this.recoverySeconds.set(report.durationMs / 1000);
    this.droppedBytes.set(report.damage?.droppedBytes ?? 0);
    if (report.damage !== undefined) this.damaged.set({ reason: report.damage.reason }, 1);
  }
}
