import { mkdir, open, unlink, type FileHandle } from "node:fs/promises";
import { dirname, join, resolve } from "node:path";
import type { FsyncMode } from "../config.ts";
import { TesseraError } from "../errors/tessera-error.ts";
import type { Appended, CommandLog } from "../service/command-log.ts";
import type { Command } from "../service/commands.ts";
import { writeCommand } from "./command-codec.ts";
import type { CommandLogMetrics } from "./log-metrics.ts";
import { MAX_RECORD_LENGTH, RECORD_HEADER_BYTES, RECORD_PREFIX_BYTES, sealRecord } from "./record-format.ts";
import { recoverLog, type LogRecord, type RecoveryReport } from "./recover-log.ts";
import {
  isSystemError,
  SEGMENT_HEADER,
  SEGMENT_HEADER_BYTES,
  segmentName,
  syncCreatedDirs,
  syncDir,
  type SegmentFile,
} from "./segment-files.ts";
import { WriteBatch } from "./write-batch.ts";

export interface FileCommandLogOptions {
  /** The log directory, `<data-dir>/log`; created when missing. */
  readonly dir: string;
  /**
   * When an append counts as durable (DESIGN §7): `always` once the batch holding it is fsynced;
   * `interval` at once, with an fsync every fsyncIntervalMs; `off` at once, never fsynced.
   */
  readonly fsync: FsyncMode;
  /** Period of the background fsync under `interval`. Default 10 ms. */
  readonly fsyncIntervalMs?: number;
  /** A segment is rolled when the next record would take it past this size. Default 64 MiB. */
  readonly segmentBytes?: number;
  /**
   * Bytes appended but not yet handed to the disk beyond which appends are refused with
   * resource_exhausted, so a stalled disk cannot grow memory without bound. Default 256 MiB.
   */
  readonly maxPendingBytes?: number;
  /**
   * Recovery: the first LSN to replay, one more than the snapshot's LSN. New LSNs start after the
   * log's last record or after fromLsn - 1, whichever is later. Default 1.
   */
  readonly fromLsn?: number;
  /** Recovery: applies one record, synchronously and in LSN order, before open() resolves. */
  readonly onRecord?: (record: LogRecord) => void;
  readonly metrics?: CommandLogMetrics;
  /** Called once when a write or fsync fails, after the log has started refusing appends. */
  readonly onFailure?: (error: TesseraError, cause: unknown) => void;
}

const DEFAULT_FSYNC_INTERVAL_MS = 10;
const DEFAULT_SEGMENT_BYTES = 64 * 1024 * 1024;
const DEFAULT_MAX_PENDING_BYTES = 256 * 1024 * 1024;
/**
 * Under `always`: overlapping fdatasyncs, each in a libuv thread. Two of the pool's four threads
 * leave room for the writes, which must not queue behind syncs, and for other file work.
 */
const MAX_SYNCS_IN_FLIGHT = 2;

const ignore = (): void => {};

/**
 * The durable command log (DESIGN §7): length-, CRC32C- and LSN-framed records in segment files,
 * written with group commit. append() numbers and encodes a command synchronously into the pending
 * batch; one writer turns each batch into a single write (and under `always` a single fdatasync
 * whose promise every record of the batch shares), taking the next batch as soon as the previous
 * write is done. Under `always` up to MAX_SYNCS_IN_FLIGHT fdatasyncs overlap; past that the pending
 * batch grows until one finishes, so batches grow with the disk's latency.
 *
 * A failed write or fsync is final: the log refuses every later append, and the promises of records
 * not yet durable reject, all with wal_unavailable. Retrying is unsafe: after a failed fsync the
 * kernel may have dropped the dirty pages it could not write, so only a restart (and recovery from
 * what is on disk) knows what the log holds.
 */
export class FileCommandLog implements CommandLog {
  /** What recovery found when the log was opened. */
  readonly recovery: RecoveryReport;
  private readonly dir: string;
  private readonly policy: FsyncMode;
  private readonly segmentBytes: number;
  private readonly maxPendingBytes: number;
  private readonly metrics: CommandLogMetrics | undefined;
  private readonly onFailure: FileCommandLogOptions["onFailure"];
  private readonly segments: SegmentFile[];
  private readonly timer: NodeJS.Timeout | undefined;
  private file: FileHandle;
  /** Bytes the append side has put in its current segment, header included. */
  private segmentUsed: number;
  private nextLsn: number;
  /** Every record up to here is in its file (page cache at least). */
  private writtenLsn: number;
  /** Every record up to here is fsynced. */
  private syncedLsn: number;
  private pending = new WriteBatch();
  /**
   * Batches taken from `pending` and not yet settled, oldest first: the one being written and,
   * under `always`, those whose fdatasync is in flight.
   */
  private readonly unsettled: WriteBatch[] = [];
  /** Settled batches, kept for their buffers. */
  private readonly spare: WriteBatch[] = [];
  /** fdatasyncs of `always` batches in flight (at most MAX_SYNCS_IN_FLIGHT). */
  private syncsInFlight = 0;
  private pumping = false;
  private scheduled = false;
  private syncDue = false;
  private failure: TesseraError | undefined;
  private closing: Promise<void> | undefined;
  private readonly idleWaiters: (() => void)[] = [];

  private constructor(options: FileCommandLogOptions, recovery: RecoveryReport, file: FileHandle, segments: SegmentFile[], segmentUsed: number, nextLsn: number) {
    this.recovery = recovery;
    this.dir = options.dir;
    this.policy = options.fsync;
    this.segmentBytes = options.segmentBytes ?? DEFAULT_SEGMENT_BYTES;
    this.maxPendingBytes = options.maxPendingBytes ?? DEFAULT_MAX_PENDING_BYTES;
    this.metrics = options.metrics;
    this.onFailure = options.onFailure;
    this.file = file;
    this.segments = segments;
    this.segmentUsed = segmentUsed;
    this.nextLsn = nextLsn;
    this.writtenLsn = this.syncedLsn = nextLsn - 1;
    if (this.policy === "interval") {
      this.timer = setInterval(() => this.syncTick(), options.fsyncIntervalMs ?? DEFAULT_FSYNC_INTERVAL_MS);
      this.timer.unref();
    }
  }

  /**
   * Recovers the log in `options.dir` (replaying through onRecord, cutting a damaged tail: see
   * recoverLog) and opens it for appends after the last intact record, or after fromLsn - 1 when
   * that is later. Throws wal_unavailable when the directory cannot be used.
   */
  static async open(options: FileCommandLogOptions): Promise<FileCommandLog> {
    const { dir } = options;
    const fromLsn = options.fromLsn ?? 1;
    let file: FileHandle | undefined;
    try {
      const made = await mkdir(dir, { recursive: true });
      if (made !== undefined && options.fsync !== "off") await syncCreatedDirs(resolve(made), resolve(dir));
      const recovery = recoverLog({ dir, fromLsn, onRecord: options.onRecord, metrics: options.metrics });
      // After a process crash, recovery may have read records from the page cache that were never
      // fsynced; the state now holds them, so they must be durable before anything else is acked.
      if (options.fsync !== "off") for (const segment of recovery.segments) await syncFile(segment.path);
      const nextLsn = Math.max(recovery.lastValidLsn, fromLsn - 1) + 1;
      const segments = [...recovery.segments];
      const last = segments.at(-1);
      let used: number;
      if (last !== undefined && nextLsn === recovery.lastValidLsn + 1) {
        file = await open(last.path, "a");
        used = (await file.stat()).size;
      } else {
        // Empty log, or a snapshot newer than the log: LSNs must continue after the snapshot's.
        const path = join(dir, segmentName(nextLsn));
        file = await createSegment(path, options.fsync);
        segments.push({ firstLsn: nextLsn, path });
        used = SEGMENT_HEADER_BYTES;
      }
      return new FileCommandLog(options, recovery, file, segments, used, nextLsn);
    } catch (e) {
      await file?.close().catch(ignore);
      if (!isSystemError(e)) throw e;
      throw new TesseraError("wal_unavailable", `wal_unavailable: cannot open the command log in ${dir}: ${e.message}`);
    }
  }

  /**
   * Numbers `command` and adds it to the pending batch. Throws wal_unavailable once the log has
   * failed or is closing, resource_exhausted when too far behind the disk, and invalid_argument for
   * a command beyond the record size limit; a refused command takes no LSN.
   */
  append(command: Command, now: number): Appended {
    if (this.failure !== undefined) throw this.failure;
    if (this.closing !== undefined) throw new TesseraError("wal_unavailable", "wal_unavailable: the command log is closed");
    const batch = this.pending;
    const offset = batch.length;
    // Encoded in place, straight after the header; the batch takes the record only once it is accepted.
    const end = writeCommand(command, batch, offset + RECORD_HEADER_BYTES);
    const length = end - offset - RECORD_PREFIX_BYTES;
    if (length > MAX_RECORD_LENGTH) {
      const commandBytes = end - offset - RECORD_HEADER_BYTES - 1;
      throw new TesseraError("invalid_argument", `invalid_argument: a command of ${commandBytes} bytes exceeds the log's record limit`);
    }
    if (end > this.maxPendingBytes) {
      throw new TesseraError("resource_exhausted", "resource_exhausted: the command log is behind the disk; retry shortly");
    }
    const recordBytes = end - offset;
    const lsn = this.nextLsn++;
    if (this.segmentUsed + recordBytes > this.segmentBytes && this.segmentUsed > SEGMENT_HEADER_BYTES) {
      batch.rolls.push({ offset, firstLsn: lsn });
      this.segmentUsed = SEGMENT_HEADER_BYTES;
    }
    this.segmentUsed += recordBytes;
    sealRecord(batch.bytes, offset, length, lsn, now);
    batch.length = end;
    batch.records++;
    batch.lastLsn = lsn;
    this.schedule();
    return { lsn, durable: this.policy === "always" ? batch.durable() : undefined };
  }

  /** The LSN of the last appended record (0 before any). */
  get lastLsn(): number {
    return this.nextLsn - 1;
  }

  /** True once a write or fsync failed (the log refuses everything from then on). */
  get failed(): boolean {
    return this.failure !== undefined;
  }

  whenDurable(lsn: number): Promise<void> | undefined {
    if (lsn >= this.nextLsn) throw new RangeError(`LSN ${lsn} has not been appended`);
    if (this.failure !== undefined) {
      const confirmed = this.policy === "always" ? this.syncedLsn : this.writtenLsn;
      return lsn <= confirmed ? undefined : Promise.reject(this.failure);
    }
    if (this.policy !== "always" || lsn <= this.syncedLsn) return undefined;
    for (const batch of this.unsettled) if (lsn <= batch.lastLsn) return batch.durable();
    return this.pending.durable();
  }

  /**
   * Removes the segments whose records all have LSNs below `lsn` (call it with the snapshot's LSN
   * + 1 once the snapshot is durable). The segment being appended to always stays. Returns how many
   * segments were removed.
   */
  async deleteBefore(lsn: number): Promise<number> {
    let removed = 0;
    while (this.segments.length > 1 && this.segments[1]!.firstLsn <= lsn) {
      const oldest = this.segments[0]!;
      try {
        await unlink(oldest.path);
      } catch (e) {
        // A concurrent call removed it first.
        if ((e as NodeJS.ErrnoException).code !== "ENOENT") throw e;
      }
      if (this.segments[0] === oldest) {
        this.segments.shift();
        removed++;
      }
    }
    return removed;
  }

  /**
   * Writes and fsyncs everything appended (whatever the fsync mode) and closes the segment; appends
   * are refused from the call on. Rejects with wal_unavailable when the log had failed or fails now.
   */
  close(): Promise<void> {
    this.closing ??= this.shutdown();
    return this.closing;
  }

  private async shutdown(): Promise<void> {
    clearInterval(this.timer);
    await this.drain();
    if (this.failure !== undefined) throw this.failure;
    try {
      await this.sync();
      this.syncedLsn = this.writtenLsn;
      await this.file.close();
    } catch (e) {
      this.fail(e);
      throw this.failure;
    }
  }

  /** Resolves once nothing is pending, being written or being fsynced. */
  private drain(): Promise<void> {
    if (!this.pumping && this.syncsInFlight === 0 && this.pending.records === 0 && !this.syncDue) return Promise.resolve();
    return new Promise((resolve) => {
      this.idleWaiters.push(resolve);
      void this.pump();
    });
  }

  private resolveIdle(): void {
    if (this.pumping || this.syncsInFlight > 0) return;
    for (const resolve of this.idleWaiters.splice(0)) resolve();
  }

  /** Starts the writer on the next turn of the event loop, so that turn's appends share a batch. */
  private schedule(): void {
    if (this.pumping || this.scheduled) return;
    this.scheduled = true;
    setImmediate(() => {
      this.scheduled = false;
      void this.pump();
    });
  }

  private syncTick(): void {
    if (this.writtenLsn > this.syncedLsn) {
      this.syncDue = true;
      void this.pump();
    }
  }

  /**
   * The single writer: batches, one write at a time in LSN order, and interval fsyncs, until there is
   * nothing to do, or under `always` until MAX_SYNCS_IN_FLIGHT fdatasyncs are in flight (the first
   * to finish starts it again).
   */
  private async pump(): Promise<void> {
    if (this.pumping) return;
    this.pumping = true;
    try {
      while (this.failure === undefined) {
        if (this.syncDue) {
          this.syncDue = false;
          // A tick during the previous fdatasync saw its LSNs as not yet synced; that sync covered them.
          const upTo = this.writtenLsn;
          if (upTo > this.syncedLsn) {
            await this.sync();
            this.syncedLsn = upTo;
          }
        } else if (this.pending.records > 0 && this.syncsInFlight < MAX_SYNCS_IN_FLIGHT) {
          await this.commit();
        } else {
          break;
        }
      }
    } catch (e) {
      this.fail(e);
    } finally {
      this.pumping = false;
      this.resolveIdle();
    }
  }

  private async commit(): Promise<void> {
    const batch = this.pending;
    this.pending = this.spare.pop() ?? new WriteBatch();
    this.unsettled.push(batch);
    let from = 0;
    for (const roll of batch.rolls) {
      await this.write(batch.bytes, from, roll.offset);
      await this.roll(roll.firstLsn);
      from = roll.offset;
    }
    await this.write(batch.bytes, from, batch.length);
    // A failed fdatasync of an earlier batch has meanwhile failed this one too, and closed the file.
    if (this.failure !== undefined) return;
    this.writtenLsn = batch.lastLsn;
    this.metrics?.batchWritten(batch.records, batch.length);
    if (this.policy === "always") this.startSync(batch.lastLsn);
    else this.settleThrough(batch.lastLsn);
  }

  /**
   * Under `always`, the batch's fdatasync runs while the writer goes on with the next batch: the
   * disk completes overlapping fdatasyncs of one file about as fast as a single one (ext4 commits
   * them in one journal transaction; bench/durability/README.md), so an append no longer waits
   * for the sync in flight to finish before its own begins.
   */
  private startSync(upTo: number): void {
    this.syncsInFlight++;
    this.sync().then(
      () => {
        this.syncsInFlight--;
        // After a failure nothing more counts as durable: its appenders were told it failed.
        if (this.failure !== undefined) {
          this.resolveIdle();
          return;
        }
        // fdatasync covers every byte written before it began, so every batch up to this one is
        // durable, even if an earlier batch's own fdatasync has not returned yet.
        if (upTo > this.syncedLsn) this.syncedLsn = upTo;
        this.settleThrough(this.syncedLsn);
        if (this.pending.records > 0) void this.pump();
        else this.resolveIdle();
      },
      (e: unknown) => {
        this.syncsInFlight--;
        this.fail(e);
        this.resolveIdle();
      },
    );
  }

  /** Settles (resolves the promise of) every batch whose records are all at or below `lsn`. */
  private settleThrough(lsn: number): void {
    while (this.unsettled.length > 0 && this.unsettled[0]!.lastLsn <= lsn) {
      const batch = this.unsettled.shift()!;
      batch.settle();
      this.spare.push(batch);
    }
  }

  private async write(bytes: Buffer, from: number, to: number): Promise<void> {
    while (from < to) {
      const { bytesWritten } = await this.file.write(bytes, from, to - from);
      from += bytesWritten;
    }
  }

  private async sync(): Promise<void> {
    const started = process.hrtime.bigint();
    await this.file.datasync();
    this.metrics?.synced(Number(process.hrtime.bigint() - started) / 1e9);
  }

  /** Finishes the current segment (durably, unless fsync is off) and starts the one beginning at `firstLsn`. */
  private async roll(firstLsn: number): Promise<void> {
    if (this.policy !== "off") await this.sync();
    await this.file.close();
    const path = join(this.dir, segmentName(firstLsn));
    this.file = await createSegment(path, this.policy);
    this.segments.push({ firstLsn, path });
  }

  private fail(cause: unknown): void {
    if (this.failure !== undefined) return;
    const code = (cause as NodeJS.ErrnoException | undefined)?.code ?? String(cause);
    this.failure = new TesseraError(
      "wal_unavailable",
      `wal_unavailable: writing the command log failed (${code}); no command is accepted until the server restarts`,
    );
    clearInterval(this.timer);
    for (const batch of this.unsettled.splice(0)) batch.settle(this.failure);
    this.pending.settle(this.failure);
    this.file.close().catch(ignore);
    this.metrics?.failed();
    this.onFailure?.(this.failure, cause);
  }
}

/** Creates a segment with its header; unless fsync is off, the file and its directory entry are durable. */
async function createSegment(path: string, policy: FsyncMode): Promise<FileHandle> {
  const file = await open(path, "wx");
  try {
    for (let at = 0; at < SEGMENT_HEADER_BYTES; ) at += (await file.write(SEGMENT_HEADER, at, SEGMENT_HEADER_BYTES - at)).bytesWritten;
    if (policy !== "off") {
      await file.datasync();
      await syncDir(dirname(path));
    }
    return file;
  } catch (e) {
    await file.close().catch(ignore);
    throw e;
  }
}

async function syncFile(path: string): Promise<void> {
  const file = await open(path, "r+");
  try {
    await file.datasync();
  } finally {
    await file.close();
  }
}
