import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { TestContext } from "node:test";
import type { PushCommandRecord } from "../../src/service/commands.ts";
import type { CommandLogMetrics } from "../../src/storage/log-metrics.ts";
import { recoverLog, type LogRecord, type RecoveryReport } from "../../src/storage/recover-log.ts";
import { RECORD_PREFIX_BYTES } from "../../src/storage/record-format.ts";
import { SEGMENT_HEADER_BYTES } from "../../src/storage/segment-files.ts";

/** A fresh directory under the OS temp dir, removed when the test ends; returns `<tmp>/log`. */
export function tempLogDir(t: TestContext): string {
  const root = mkdtempSync(join(tmpdir(), "tessera-log-"));
  t.after(() => rmSync(root, { recursive: true, force: true }));
  return join(root, "log");
}

export function push(i: number, extra: Record<string, unknown> = {}): PushCommandRecord {
  return { type: "push", workspace: "prod", event: "txn", data: { user_id: `u${i % 97}`, amount: i * 0.5, seq: i, ...extra } as PushCommandRecord["data"] };
}

/** Every record of the log (recovering it, which cuts a damaged tail). */
export function readLog(dir: string, fromLsn = 1): { records: LogRecord[]; report: RecoveryReport } {
  const records: LogRecord[] = [];
  const report = recoverLog({ dir, fromLsn, onRecord: (r) => records.push(r) });
  return { records, report };
}

/** Byte offsets of the records of a segment file, parsed independently of the reader under test. */
export function recordOffsets(path: string): number[] {
  const bytes = readFileSync(path);
  const out: number[] = [];
  for (let at = SEGMENT_HEADER_BYTES; at + RECORD_PREFIX_BYTES <= bytes.length; at += RECORD_PREFIX_BYTES + bytes.readUInt32LE(at)) out.push(at);
  return out;
}

/** Counts what the log reports, and the highest LSN an fsync has covered (logs starting at LSN 1). */
export class CountingMetrics implements CommandLogMetrics {
  batches = 0;
  syncs = 0;
  failures = 0;
  report: RecoveryReport | undefined;
  readonly batchSizes: number[] = [];
  /** Records written so far (equals the last written LSN of a fresh log). */
  written = 0;
  /** The last written LSN when the latest fsync finished. */
  syncedThrough = 0;

  batchWritten(records: number): void {
    this.batches++;
    this.batchSizes.push(records);
    this.written += records;
  }

  synced(): void {
    this.syncs++;
    this.syncedThrough = this.written;
  }

  failed(): void {
    this.failures++;
  }

  recovered(report: RecoveryReport): void {
    this.report = report;
  }
}
