import { mkdir, readdir, rename, stat, unlink } from "node:fs/promises";
import { basename, join, resolve } from "node:path";
import { TesseraError } from "../errors/tessera-error.ts";
import { syncCreatedDirs, syncDir } from "./segment-files.ts";
import { lsnOfName, snapshotName, TEMP_SUFFIX } from "./snapshot-format.ts";
import type { SnapshotMetrics } from "./snapshot-metrics.ts";
import { SnapshotReader, type SnapshotChunk, type SnapshotDamageReason, type SnapshotStop } from "./snapshot-reader.ts";
import { SnapshotWriter, unavailable, type SnapshotInfo } from "./snapshot-writer.ts";

export type { SnapshotChunk, SnapshotDamageReason } from "./snapshot-reader.ts";
export type { SnapshotSection } from "./snapshot-format.ts";
export type { SnapshotInfo, SnapshotWriter } from "./snapshot-writer.ts";

export interface SnapshotStoreOptions {
  /** The snapshot directory, `<data-dir>/snapshots`; created when missing. */
  readonly dir: string;
  /**
   * Snapshots kept on disk; each commit deletes the older ones beyond this. Recovery falls back to an
   * older snapshot when a newer one is damaged, which is why the command log is reclaimed only before
   * the oldest kept one (oldestKeptLsn). Default 2, at least 1.
   */
  readonly keep?: number;
  readonly metrics?: SnapshotMetrics;
}

/** A snapshot file on disk. */
export interface SnapshotFile {
  readonly lsn: number;
  readonly path: string;
}

/** A snapshot that passed validation, as handed to loadNewest's consumer. */
export interface LoadedSnapshot {
  readonly lsn: number;
  /** The state's clock when it was captured. */
  readonly now: number;
  /** Wall-clock time the snapshot was begun (epoch ms). */
  readonly created: number;
  /**
   * The data records in the order they were written, read from the file piece by piece on each
   * iteration (never the whole file in memory). Usable only while the consumer runs.
   */
  readonly chunks: Iterable<SnapshotChunk>;
}

/** A snapshot loadNewest did not load. */
export interface SkippedSnapshot {
  readonly file: string;
  readonly reason: SnapshotDamageReason;
  /** The first bad byte; undefined when the file is intact and its content was rejected. */
  readonly offset: number | undefined;
  /** The message of what the consumer threw, for reason `rejected`. */
  readonly error: string | undefined;
  /** Where the file was moved: `<dir>/quarantine/`, kept for inspection, never read again. */
  readonly quarantined: string;
}

/** loaded: the newest snapshot; fallback: an older one, newer ones were skipped; none: start cold. */
export type LoadOutcome = "loaded" | "fallback" | "none";

export interface LoadReport {
  readonly outcome: LoadOutcome;
  /** The snapshot the state was loaded from; undefined when none was usable (replay the whole log). */
  readonly loaded: (SnapshotFile & { readonly now: number; readonly created: number; readonly bytes: number }) | undefined;
  /** Snapshots newer than the one loaded that were damaged or rejected, newest first; now quarantined. */
  readonly skipped: readonly SkippedSnapshot[];
  readonly durationMs: number;
}

const DEFAULT_KEEP = 2;

/**
 * Snapshots of the whole state (DESIGN §7) in `<data-dir>/snapshots`: `<lsn, 20 digits>.snap` files
 * (format: snapshot-format.ts), written through a temp file that is fsynced and renamed, so each
 * either exists whole or not at all. One snapshot is written at a time.
 *
 * Loading validates a whole file before handing anything out, and falls back to older snapshots
 * when one is damaged (or its content is rejected), moving the bad file into `quarantine/`; it never
 * throws on bad bytes. Errors of the directory or its files are TesseraError `unavailable`.
 */
export class SnapshotStore {
  readonly dir: string;
  readonly keep: number;
  private readonly metrics: SnapshotMetrics | undefined;
  /** Newest first. */
  private files: SnapshotFile[];
  private active: SnapshotWriter | undefined;

  private constructor(options: SnapshotStoreOptions, keep: number, files: SnapshotFile[]) {
    this.dir = options.dir;
    this.keep = keep;
    this.metrics = options.metrics;
    this.files = files;
  }

  /**
   * Opens (creating it durably when missing) the snapshot directory and removes the temp files of
   * writes a crash interrupted. Throws unavailable when the directory cannot be used.
   */
  static async open(options: SnapshotStoreOptions): Promise<SnapshotStore> {
    const keep = options.keep ?? DEFAULT_KEEP;
    if (!Number.isSafeInteger(keep) || keep < 1) throw new RangeError(`keep must be an integer >= 1, got ${keep}`);
    const { dir } = options;
    try {
      const made = await mkdir(dir, { recursive: true });
      if (made !== undefined) await syncCreatedDirs(resolve(made), resolve(dir));
      const files: SnapshotFile[] = [];
      let removed = false;
      for (const name of await readdir(dir)) {
        if (name.endsWith(TEMP_SUFFIX)) {
          await unlink(join(dir, name));
          removed = true;
          continue;
        }
        const lsn = lsnOfName(name);
        if (lsn !== undefined) files.push({ lsn, path: join(dir, name) });
      }
      if (removed) await syncDir(dir);
      return new SnapshotStore(options, keep, files.sort((a, b) => b.lsn - a.lsn));
    } catch (e) {
      throw unavailable(e, `cannot open the snapshot directory ${dir}`);
    }
  }

  /** The snapshots on disk, newest first. */
  list(): readonly SnapshotFile[] {
    return [...this.files];
  }

  /**
   * The LSN of the oldest snapshot recovery may fall back to, once `keep` snapshots are on disk: the
   * command log is needed only after it (`log.deleteBefore(oldestKeptLsn + 1)`). 0 while fewer are
   * on disk, so that until then the whole log stays and a cold start remains possible should every
   * snapshot turn out damaged.
   */
  get oldestKeptLsn(): number {
    return this.files.length >= this.keep ? this.files[this.keep - 1]!.lsn : 0;
  }

  /**
   * Starts a snapshot of the state as of `lsn` (the last command it includes), whose clock read
   * `now`. Nothing touches the disk until the first write() or commit(). Throws when a snapshot is
   * already being written, and RangeError for an LSN older than the newest snapshot's.
   */
  begin(info: { readonly lsn: number; readonly now: number }): SnapshotWriter {
    if (this.active !== undefined) throw new Error(`a snapshot (LSN ${this.active.lsn}) is already being written: commit or abort it first`);
    const newest = this.files[0]?.lsn ?? 0;
    if (!Number.isSafeInteger(info.lsn) || info.lsn < newest) throw new RangeError(`snapshot LSN ${info.lsn} is invalid or older than the newest snapshot's (${newest})`);
    const writer = new SnapshotWriter({
      lsn: info.lsn,
      now: info.now,
      tempPath: join(this.dir, snapshotName(info.lsn) + TEMP_SUFFIX),
      host: {
        install: (tempPath, lsn) => this.install(tempPath, lsn),
        released: (written) => {
          this.active = undefined;
          if (written === undefined) this.metrics?.failed();
          else this.metrics?.written(written);
        },
      },
    });
    this.active = writer;
    return writer;
  }

  /**
   * Tries the snapshots newest first. Each file is validated whole (header, every record's length
   * and checksum, the footer) before `consume` sees any of it; a damaged file, or one whose content
   * `consume` throws on, is moved to `quarantine/` and the next older one is tried. `consume` must
   * therefore build its state aside and swap it in only when it returns. Resolves with no snapshot
   * loaded when none was usable: the caller starts empty and replays the whole log.
   *
   * Throws, rather than falling back, for a snapshot in a newer format, when `consume` throws a
   * TesseraError `unavailable` (content written by a newer build), and on I/O errors.
   */
  async loadNewest(consume: (snapshot: LoadedSnapshot) => void): Promise<LoadReport> {
    const started = performance.now();
    const skipped: SkippedSnapshot[] = [];
    let loaded: LoadReport["loaded"];
    for (const file of [...this.files]) {
      const result = tryLoad(file, consume);
      if ("reason" in result) {
        skipped.push(await this.quarantine(file, result));
        continue;
      }
      loaded = result;
      break;
    }
    const outcome: LoadOutcome = loaded === undefined ? "none" : skipped.length === 0 ? "loaded" : "fallback";
    const report: LoadReport = { outcome, loaded, skipped, durationMs: performance.now() - started };
    this.metrics?.loaded(report);
    return report;
  }

  /** A sealed temp file becomes the snapshot of its LSN; then snapshots beyond `keep` are deleted. */
  private async install(tempPath: string, lsn: number): Promise<string> {
    const path = join(this.dir, snapshotName(lsn));
    await rename(tempPath, path);
    this.files = [{ lsn, path }, ...this.files.filter((f) => f.lsn !== lsn)];
    await syncDir(this.dir);
    // Not fsynced: an old snapshot a crash brings back is merely deleted by the next commit.
    for (const old of this.files.slice(this.keep)) {
      await unlink(old.path).catch((e: NodeJS.ErrnoException) => {
        if (e.code !== "ENOENT") throw e;
      });
      this.files = this.files.filter((f) => f !== old);
    }
    return path;
  }

  private async quarantine(file: SnapshotFile, stop: Rejection): Promise<SkippedSnapshot> {
    const dir = join(this.dir, "quarantine");
    try {
      await mkdir(dir, { recursive: true });
      let target = join(dir, basename(file.path));
      // A snapshot of the same LSN quarantined before (a crash loop) is kept too.
      if (await exists(target)) target = `${target}.${Date.now()}`;
      await rename(file.path, target);
      await syncDir(dir);
      await syncDir(this.dir);
      this.files = this.files.filter((f) => f !== file);
      return { file: file.path, reason: stop.reason, offset: stop.offset, error: stop.error, quarantined: target };
    } catch (e) {
      throw unavailable(e, `cannot move the damaged snapshot ${file.path} into ${dir}`);
    }
  }
}

interface Rejection {
  readonly reason: SnapshotDamageReason;
  readonly offset: number | undefined;
  readonly error: string | undefined;
}

/** Validates one snapshot and, when intact, hands it to `consume`: what was loaded, or why not. */
function tryLoad(file: SnapshotFile, consume: (snapshot: LoadedSnapshot) => void): NonNullable<LoadReport["loaded"]> | Rejection {
  const damaged = (stop: SnapshotStop): Rejection => ({ ...stop, error: undefined });
  let reader: SnapshotReader;
  try {
    reader = new SnapshotReader(file.path);
  } catch (e) {
    throw unavailable(e, `cannot read the snapshot ${file.path}`);
  }
  try {
    const stop = reader.validate(file.lsn);
    if (stop !== undefined) return damaged(stop);
    const { lsn, now, created } = reader.header!;
    try {
      consume({ lsn, now, created, chunks: { [Symbol.iterator]: () => reader.chunks() } });
    } catch (e) {
      if (reader.damage !== undefined) return damaged(reader.damage);
      if (e instanceof TesseraError && e.code === "unavailable") throw e;
      return { reason: "rejected", offset: undefined, error: e instanceof Error ? e.message : String(e) };
    }
    // The consumer may have caught the damage error and carried on with part of the state.
    if (reader.damage !== undefined) return damaged(reader.damage);
    return { lsn, path: file.path, now, created, bytes: reader.size };
  } catch (e) {
    throw unavailable(e, `cannot read the snapshot ${file.path}`);
  } finally {
    reader.close();
  }
}

async function exists(path: string): Promise<boolean> {
  return stat(path).then(
    () => true,
    () => false,
  );
}
