import { open, unlink, type FileHandle } from "node:fs/promises";
import { TesseraError } from "../errors/tessera-error.ts";
import { isSystemError } from "./segment-files.ts";
import {
  encodeFooterData,
  encodeHeader,
  MAX_CHUNK_BYTES,
  RECORD_DATA_OFFSET,
  SECTION_END,
  sectionCode,
  writeRecordPrefix,
  type SnapshotSection,
} from "./snapshot-format.ts";

/** A committed snapshot. */
export interface SnapshotInfo {
  readonly lsn: number;
  /** The state's clock when it was captured, as given to begin(). */
  readonly now: number;
  /** Size of the file. */
  readonly bytes: number;
  readonly path: string;
  /** From begin() to the end of commit(): serialization, writing, fsync, rename. */
  readonly durationMs: number;
}

/** What a writer needs of its store (snapshot-store.ts). */
export interface SnapshotWriterHost {
  /** Moves the sealed, fsynced temp file into place durably and prunes old snapshots; the final path. */
  install(tempPath: string, lsn: number): Promise<string>;
  /** The writer is done: committed (with what it wrote) or not (failed or aborted). */
  released(info: SnapshotInfo | undefined): void;
}

/**
 * Records are gathered in a buffer of this size and written when it is full: the engine's chunks may
 * be small, and one write per chunk would make a snapshot cost many system calls. Larger chunks are
 * written directly, not copied.
 */
const STAGING_BYTES = 1024 * 1024;

const ignore = (): void => {};

/**
 * Writes one snapshot into `<lsn>.snap.tmp`; commit() seals it (footer, fsync), renames it into place
 * and syncs the directory, so a snapshot is either entirely there or not at all. Operations run one
 * at a time in call order; each write() resolves once its chunk is buffered or written, which is the
 * caller's backpressure. A chunk must not be modified until its write() resolved.
 *
 * A failed write, fsync or rename is final: the writer removes its temp file and every later call
 * rejects with the same `unavailable` error. Only the store creates writers (SnapshotStore.begin).
 */
export class SnapshotWriter {
  readonly lsn: number;
  readonly now: number;
  private readonly tempPath: string;
  private readonly host: SnapshotWriterHost;
  private readonly started = performance.now();
  private readonly created = Date.now();
  private file: FileHandle | undefined;
  private staging = Buffer.allocUnsafe(STAGING_BYTES);
  private used = 0;
  /** File bytes handed to the kernel. */
  private written = 0;
  private records = 0;
  private dataBytes = 0;
  private tail: Promise<void> = Promise.resolve();
  private state: "open" | "committing" | "committed" | "aborted" | "failed" = "open";
  private failure: Error | undefined;

  constructor(options: { readonly lsn: number; readonly now: number; readonly tempPath: string; readonly host: SnapshotWriterHost }) {
    this.lsn = options.lsn;
    this.now = options.now;
    this.tempPath = options.tempPath;
    this.host = options.host;
  }

  /**
   * Adds one chunk to the snapshot; chunks are loaded back in the order written, section by section
   * as interleaved here. Rejects with RangeError for a chunk over 64 MiB (the writer stays usable).
   */
  write(section: SnapshotSection, bytes: Uint8Array): Promise<void> {
    if (bytes.length > MAX_CHUNK_BYTES) {
      return Promise.reject(new RangeError(`a snapshot chunk of ${bytes.length} bytes exceeds the ${MAX_CHUNK_BYTES}-byte limit`));
    }
    const refused = this.refusal();
    if (refused !== undefined) return Promise.reject(refused);
    return this.enqueue(() => this.append(sectionCode(section), bytes));
  }

  /**
   * Seals the file, moves it into place durably, then deletes snapshots beyond the store's `keep`.
   * Rejects with unavailable when any step fails; when only a deletion failed, the new snapshot is
   * nonetheless in place (the store lists it) and the caller merely retries later.
   */
  async commit(): Promise<SnapshotInfo> {
    const refused = this.refusal();
    if (refused !== undefined) throw refused;
    this.state = "committing";
    let info: SnapshotInfo | undefined;
    await this.enqueue(async () => {
      await this.append(SECTION_END, encodeFooterData({ records: this.records, bytes: this.dataBytes }));
      await this.flush();
      const file = this.file!;
      await file.sync();
      this.file = undefined;
      await file.close();
      const path = await this.host.install(this.tempPath, this.lsn);
      info = { lsn: this.lsn, now: this.now, bytes: this.written, path, durationMs: performance.now() - this.started };
    });
    this.state = "committed";
    this.host.released(info);
    return info!;
  }

  /** Drops the snapshot and its temp file; nothing to do once committed, failed or aborted. */
  async abort(): Promise<void> {
    // A commit under way finishes, or fails and cleans up, on its own.
    if (this.state === "committing") return this.tail;
    if (this.state !== "open") return;
    this.state = "aborted";
    // Operations already queued run first: the one in flight completes, the others stop.
    await this.tail;
    if (this.failure !== undefined) return;
    await this.discard();
    this.host.released(undefined);
  }

  private refusal(): Error | undefined {
    if (this.failure !== undefined) return this.failure;
    if (this.state !== "open") return new Error(`the snapshot writer for LSN ${this.lsn} is ${this.state}`);
    return undefined;
  }

  /** Runs `op` after the operations before it; a failure fails the writer. */
  private enqueue(op: () => Promise<void>): Promise<void> {
    const run = this.tail.then(async () => {
      if (this.failure !== undefined) throw this.failure;
      if (this.state === "aborted") throw new Error(`the snapshot writer for LSN ${this.lsn} is aborted`);
      try {
        await op();
      } catch (e) {
        throw await this.fail(e);
      }
    });
    this.tail = run.then(ignore, ignore);
    return run;
  }

  private async append(sectionByte: number, data: Uint8Array): Promise<void> {
    if (this.file === undefined) await this.openTemp();
    if (this.used + RECORD_DATA_OFFSET + data.length > this.staging.length) await this.flush();
    writeRecordPrefix(this.staging, this.used, sectionByte, data);
    this.used += RECORD_DATA_OFFSET;
    if (data.length <= this.staging.length - this.used) {
      this.staging.set(data, this.used);
      this.used += data.length;
    } else {
      await this.flush();
      await this.writeAll(data);
    }
    if (sectionByte !== SECTION_END) {
      this.records++;
      this.dataBytes += data.length;
    }
  }

  private async openTemp(): Promise<void> {
    // "w", not "wx": a temp file an earlier writer could not remove is stale, never in use.
    this.file = await open(this.tempPath, "w");
    const header = encodeHeader({ lsn: this.lsn, now: this.now, created: this.created });
    header.copy(this.staging, 0);
    this.used = header.length;
  }

  private async flush(): Promise<void> {
    const used = this.used;
    this.used = 0;
    await this.writeAll(this.staging.subarray(0, used));
  }

  private async writeAll(bytes: Uint8Array): Promise<void> {
    for (let at = 0; at < bytes.length; ) at += (await this.file!.write(bytes, at, bytes.length - at)).bytesWritten;
    this.written += bytes.length;
  }

  private async fail(cause: unknown): Promise<Error> {
    this.failure = unavailable(cause, `writing the snapshot ${this.tempPath} failed`) as Error;
    this.state = "failed";
    await this.discard();
    this.host.released(undefined);
    return this.failure;
  }

  /** Closes and removes the temp file, best effort: the store removes leftovers when it next opens. */
  private async discard(): Promise<void> {
    const file = this.file;
    this.file = undefined;
    await file?.close().catch(ignore);
    await unlink(this.tempPath).catch(ignore);
  }
}

/** A system error as TesseraError unavailable (`unavailable: <doing>: <message>`); anything else unchanged. */
export function unavailable(e: unknown, doing: string): unknown {
  return isSystemError(e) ? new TesseraError("unavailable", `unavailable: ${doing}: ${e.message}`) : e;
}
