import { closeSync, fsyncSync, ftruncateSync, mkdirSync, openSync, readSync, renameSync, statSync, writeSync } from "node:fs";
import { basename, join } from "node:path";
import { TesseraError } from "../errors/tessera-error.ts";
import type { Command } from "../service/commands.ts";
import { decodeCommand } from "./command-codec.ts";
import type { CommandLogMetrics } from "./log-metrics.ts";
import {
  checksumMatches,
  MAX_RECORD_LENGTH,
  MIN_RECORD_LENGTH,
  RECORD_HEADER_BYTES,
  RECORD_PREFIX_BYTES,
  recordLength,
  recordLsn,
  recordNow,
} from "./record-format.ts";
import { SegmentCursor } from "./segment-cursor.ts";
import {
  checkSegmentHeader,
  listSegments,
  SEGMENT_FORMAT_VERSION,
  SEGMENT_HEADER,
  SEGMENT_HEADER_BYTES,
  syncDirSync,
  type SegmentFile,
} from "./segment-files.ts";

/** A command read back from the log, with the LSN and time it was first applied with. */
export interface LogRecord {
  readonly lsn: number;
  readonly now: number;
  readonly command: Command;
}

/**
 * Why reading stopped before the end of the log:
 * - torn_tail: a record or segment header runs past the end of its file (an interrupted write);
 * - bad_length: a length no record can have;
 * - checksum_mismatch: the bytes are not what was written;
 * - lsn_out_of_sequence: an intact record or segment does not continue the LSN sequence;
 * - bad_segment_header: a segment file that does not start with the log's magic;
 * - undecodable_command: an intact record whose command cannot be decoded.
 */
export type DamageReason =
  | "torn_tail"
  | "bad_length"
  | "checksum_mismatch"
  | "lsn_out_of_sequence"
  | "bad_segment_header"
  | "undecodable_command";

export interface LogDamage {
  readonly reason: DamageReason;
  /** The segment holding the first bad byte, and that byte's offset in it. */
  readonly file: string;
  readonly offset: number;
  /** Bytes taken out of the log: the rest of `file` and every later segment. */
  readonly droppedBytes: number;
  /** Where those bytes were moved (`<dir>/quarantine/`), kept for inspection, never read again. */
  readonly quarantined: readonly string[];
}

/** LSNs `from` to `to` inclusive. */
export interface LsnRange {
  readonly from: number;
  readonly to: number;
}

export interface RecoveryReport {
  /** The LSN of the last intact record (or one less than the first segment's when it has none); 0 for an empty log. */
  readonly lastValidLsn: number;
  /** Records at or after fromLsn (each handed to onRecord when one was given). */
  readonly replayed: number;
  /** Bytes of intact segment data read. */
  readonly bytesRead: number;
  readonly durationMs: number;
  /** LSNs at or after fromLsn that the log does not hold (segments reclaimed past the snapshot, or lost). */
  readonly gaps: readonly LsnRange[];
  /** Where reading stopped early; the log has been cut there. */
  readonly damage: LogDamage | undefined;
  /** The segments left, in LSN order. */
  readonly segments: readonly SegmentFile[];
}

export interface RecoverOptions {
  /** The log directory (`<data-dir>/log`); it must exist. */
  readonly dir: string;
  /**
   * The first LSN to replay: one more than the snapshot's. Segments wholly before it are not read.
   * Default 1 (everything).
   */
  readonly fromLsn?: number;
  /** Applies one record, synchronously and in LSN order. Without it records are checked, not decoded. */
  readonly onRecord?: (record: LogRecord) => void;
  readonly metrics?: Pick<CommandLogMetrics, "recovered">;
}

interface Stop {
  readonly offset: number;
  readonly reason: DamageReason;
}

/** Where reading stopped: in segment `index`; `whole` when the segment itself does not belong after the previous one. */
interface StopAt extends Stop {
  readonly index: number;
  readonly whole: boolean;
}

/**
 * Reads the log for recovery (DESIGN §7): every record from `fromLsn` on, in order, stopping at the
 * first damaged byte. Never throws on bad bytes: the damage is reported, the bytes from there to the
 * end of the log are moved into `<dir>/quarantine/` and cut off (all durably), so appends continue
 * cleanly after the last intact record. It does throw on I/O errors, on a segment written by a newer
 * format version (which must not be cut), and whatever onRecord throws.
 */
export function recoverLog(options: RecoverOptions): RecoveryReport {
  const started = performance.now();
  const fromLsn = options.fromLsn ?? 1;
  const all = listSegments(options.dir);
  // Every record of a segment is below the next segment's first LSN: those wholly before fromLsn are skipped.
  let first = 0;
  while (first + 1 < all.length && all[first + 1]!.firstLsn <= fromLsn) first++;

  const gaps: LsnRange[] = [];
  let lastValidLsn = 0;
  let replayed = 0;
  let bytesRead = 0;
  let stop: StopAt | undefined;
  for (let i = first; i < all.length; i++) {
    const segment = all[i]!;
    if (i > first && segment.firstLsn <= lastValidLsn) {
      stop = { index: i, offset: 0, reason: "lsn_out_of_sequence", whole: true };
      break;
    }
    const expected = i === first ? fromLsn : Math.max(lastValidLsn + 1, fromLsn);
    if (expected < segment.firstLsn) gaps.push({ from: expected, to: segment.firstLsn - 1 });
    const scan = scanSegment(segment, fromLsn, options.onRecord);
    lastValidLsn = scan.lastLsn;
    replayed += scan.replayed;
    bytesRead += scan.bytes;
    if (scan.stop !== undefined) {
      stop = { index: i, whole: false, ...scan.stop };
      break;
    }
  }

  let damage: LogDamage | undefined;
  let segments: SegmentFile[] = all;
  if (stop !== undefined) {
    damage = quarantineFrom(options.dir, all, stop);
    segments = all.slice(0, stop.whole ? stop.index : stop.index + 1);
  }
  const report: RecoveryReport = { lastValidLsn, replayed, bytesRead, durationMs: performance.now() - started, gaps, damage, segments };
  options.metrics?.recovered(report);
  return report;
}

interface SegmentScan {
  /** The last intact record's LSN, or one less than the segment's first when it has none. */
  readonly lastLsn: number;
  readonly replayed: number;
  /** Bytes of the segment up to the end of its last intact record. */
  readonly bytes: number;
  readonly stop: Stop | undefined;
}

function scanSegment(segment: SegmentFile, fromLsn: number, onRecord: RecoverOptions["onRecord"]): SegmentScan {
  const cursor = new SegmentCursor(segment.path);
  let lastLsn = segment.firstLsn - 1;
  let replayed = 0;
  let position = 0;
  const scanned = (stop?: Stop): SegmentScan => ({ lastLsn, replayed, bytes: position, stop });
  try {
    const bad = checkHeader(cursor, segment);
    if (bad !== undefined) return scanned(bad);
    position = SEGMENT_HEADER_BYTES;
    while (position < cursor.size) {
      let at = cursor.load(position, RECORD_PREFIX_BYTES);
      if (at < 0) return scanned({ offset: position, reason: "torn_tail" });
      const length = recordLength(cursor.bytes, at);
      if (length < MIN_RECORD_LENGTH || length > MAX_RECORD_LENGTH) return scanned({ offset: position, reason: "bad_length" });
      at = cursor.load(position, RECORD_PREFIX_BYTES + length);
      if (at < 0) return scanned({ offset: position, reason: "torn_tail" });
      if (!checksumMatches(cursor.bytes, at, length)) return scanned({ offset: position, reason: "checksum_mismatch" });
      const lsn = lastLsn + 1;
      if (recordLsn(cursor.bytes, at) !== lsn) return scanned({ offset: position, reason: "lsn_out_of_sequence" });
      if (lsn >= fromLsn) {
        if (onRecord !== undefined) {
          let command: Command;
          try {
            command = decodeCommand(cursor.bytes, at + RECORD_HEADER_BYTES, at + RECORD_PREFIX_BYTES + length);
          } catch {
            return scanned({ offset: position, reason: "undecodable_command" });
          }
          onRecord({ lsn, now: recordNow(cursor.bytes, at), command });
        }
        replayed++;
      }
      lastLsn = lsn;
      position += RECORD_PREFIX_BYTES + length;
    }
    return scanned();
  } finally {
    cursor.close();
  }
}

function checkHeader(cursor: SegmentCursor, segment: SegmentFile): Stop | undefined {
  const at = cursor.load(0, SEGMENT_HEADER_BYTES);
  if (at < 0) return { offset: 0, reason: "torn_tail" };
  const header = checkSegmentHeader(cursor.bytes.subarray(at, at + SEGMENT_HEADER_BYTES));
  if (header === "bad_magic") return { offset: 0, reason: "bad_segment_header" };
  if (header !== "ok") {
    throw new TesseraError(
      "wal_unavailable",
      `wal_unavailable: ${segment.path} is in command log format ${header}; this build reads format ${SEGMENT_FORMAT_VERSION}`,
    );
  }
  return undefined;
}

/**
 * Moves the bytes from the stop to the end of its segment, and every later segment, into the
 * quarantine folder, then cuts the segment there, all durably, before anything is appended after it.
 * A segment with a bad header is left as a bare header, so its name still tells the next LSN; a
 * segment that does not follow the previous one goes to the quarantine whole.
 */
function quarantineFrom(dir: string, segments: readonly SegmentFile[], stop: StopAt): LogDamage {
  const quarantine = join(dir, "quarantine");
  mkdirSync(quarantine, { recursive: true });
  // Repeated crashes can cut the same segment at the same offset: the time keeps the names apart.
  const stamp = Date.now();
  const damaged = segments[stop.index]!;
  const quarantined: string[] = [];
  let droppedBytes = 0;
  if (!stop.whole) {
    const size = statSync(damaged.path).size;
    if (size > stop.offset) {
      const target = join(quarantine, `${basename(damaged.path)}@${stop.offset}.${stamp}`);
      copyRange(damaged.path, stop.offset, size, target);
      quarantined.push(target);
      droppedBytes += size - stop.offset;
    }
    const fd = openSync(damaged.path, "r+");
    try {
      ftruncateSync(fd, stop.offset);
      if (stop.offset < SEGMENT_HEADER_BYTES) writeSync(fd, SEGMENT_HEADER, 0, SEGMENT_HEADER_BYTES, 0);
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
  }
  for (const later of segments.slice(stop.whole ? stop.index : stop.index + 1)) {
    const target = join(quarantine, `${basename(later.path)}.${stamp}`);
    droppedBytes += statSync(later.path).size;
    renameSync(later.path, target);
    quarantined.push(target);
  }
  syncDirSync(quarantine);
  syncDirSync(dir);
  return { reason: stop.reason, file: damaged.path, offset: stop.offset, droppedBytes, quarantined };
}

function copyRange(source: string, start: number, end: number, target: string): void {
  const from = openSync(source, "r");
  try {
    const to = openSync(target, "wx");
    try {
      const chunk = Buffer.allocUnsafe(Math.min(end - start, 1024 * 1024));
      for (let position = start; position < end; ) {
        const got = readSync(from, chunk, 0, Math.min(chunk.length, end - position), position);
        if (got === 0) break;
        for (let written = 0; written < got; ) written += writeSync(to, chunk, written, got - written);
        position += got;
      }
      fsyncSync(to);
    } finally {
      closeSync(to);
    }
  } finally {
    closeSync(from);
  }
}
