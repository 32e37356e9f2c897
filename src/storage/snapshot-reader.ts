import { TesseraError } from "../errors/tessera-error.ts";
import { checksum, RECORD_PREFIX_BYTES } from "./record-format.ts";
import { SegmentCursor } from "./segment-cursor.ts";
import {
  decodeFooterData,
  decodeHeader,
  FOOTER_DATA_BYTES,
  HEADER_PREAMBLE_BYTES,
  headerLength,
  MAX_RECORD_LENGTH,
  MIN_RECORD_LENGTH,
  RECORD_DATA_OFFSET,
  SECTION_END,
  sectionOf,
  SNAPSHOT_FORMAT_VERSION,
  type SnapshotHeader,
  type SnapshotSection,
} from "./snapshot-format.ts";

/**
 * Why a snapshot was not loaded:
 * - bad_header: the file does not start with a snapshot header, or its checksum fails;
 * - lsn_mismatch: an intact header whose LSN is not the one in the file name;
 * - truncated: the file ends inside the header, inside a record, or before the footer;
 * - bad_length: a length no record can have;
 * - checksum_mismatch: the bytes are not what was written;
 * - bad_section: an intact record of a section this build does not know;
 * - bad_footer: the footer does not match the records before it;
 * - trailing_bytes: bytes after the footer;
 * - rejected: the file is intact but its content was refused by the consumer.
 */
export const SNAPSHOT_DAMAGE_REASONS = [
  "bad_header",
  "lsn_mismatch",
  "truncated",
  "bad_length",
  "checksum_mismatch",
  "bad_section",
  "bad_footer",
  "trailing_bytes",
  "rejected",
] as const;
export type SnapshotDamageReason = (typeof SNAPSHOT_DAMAGE_REASONS)[number];

/** Where and why reading a snapshot stopped. */
export interface SnapshotStop {
  readonly reason: SnapshotDamageReason;
  readonly offset: number;
}

/** One data record of a snapshot. */
export interface SnapshotChunk {
  readonly section: SnapshotSection;
  readonly bytes: Uint8Array;
}

/** The record at an offset: its section byte and where its data lies in the cursor's window. */
interface RecordAt {
  readonly code: number;
  readonly start: number;
  readonly end: number;
  /** File offset of the next record. */
  readonly next: number;
}

/**
 * Reads one snapshot file in two passes over a window (memory: the largest record plus 4 MiB, never
 * the file): validate() checks every byte without handing anything out, then chunks() yields the
 * data records of a file that passed. chunks() checks each record again as it reads it, so even
 * bytes that changed between the passes are never handed out; it throws SnapshotDamageError instead.
 */
export class SnapshotReader {
  readonly path: string;
  /** Set by a successful validate(). */
  header: SnapshotHeader | undefined;
  /** Damage chunks() ran into (it threw at it), even if the consumer swallowed the error. */
  damage: SnapshotStop | undefined;
  private readonly cursor: SegmentCursor;
  private firstRecord = 0;

  /** Opens the file; throws on I/O errors. */
  constructor(path: string) {
    this.path = path;
    this.cursor = new SegmentCursor(path);
  }

  get size(): number {
    return this.cursor.size;
  }

  /**
   * Checks the whole file: header, every record's length and checksum, the footer's counts, and that
   * the file ends at the footer. Returns where it is damaged, or undefined when it is intact. Throws
   * unavailable for a snapshot in a newer format (never read, never quarantined).
   */
  validate(expectedLsn: number): SnapshotStop | undefined {
    const { cursor } = this;
    let at = cursor.load(0, HEADER_PREAMBLE_BYTES);
    if (at < 0) return { reason: "truncated", offset: 0 };
    const length = headerLength(cursor.bytes, at);
    if (length === undefined) return { reason: "bad_header", offset: 0 };
    at = cursor.load(0, length);
    if (at < 0) return { reason: "truncated", offset: 0 };
    const header = decodeHeader(cursor.bytes, at, length);
    if (header === "bad") return { reason: "bad_header", offset: 0 };
    if ("newerVersion" in header) {
      throw new TesseraError(
        "unavailable",
        `unavailable: ${this.path} is in snapshot format ${header.newerVersion}; this build reads format ${SNAPSHOT_FORMAT_VERSION}`,
      );
    }
    if (header.lsn !== expectedLsn) return { reason: "lsn_mismatch", offset: 0 };

    let records = 0;
    let bytes = 0;
    for (let position = length; ; ) {
      const r = this.record(position);
      if ("reason" in r) return r;
      if (r.code === SECTION_END) {
        if (r.end - r.start !== FOOTER_DATA_BYTES) return { reason: "bad_footer", offset: position };
        const footer = decodeFooterData(cursor.bytes, r.start);
        if (footer.records !== records || footer.bytes !== bytes) return { reason: "bad_footer", offset: position };
        if (r.next !== cursor.size) return { reason: "trailing_bytes", offset: r.next };
        break;
      }
      if (sectionOf(r.code) === undefined) return { reason: "bad_section", offset: position };
      records++;
      bytes += r.end - r.start;
      position = r.next;
    }
    this.header = header;
    this.firstRecord = length;
    return undefined;
  }

  /** The data records in file order, each a fresh copy; only after validate() found the file intact. */
  *chunks(): Generator<SnapshotChunk, void, undefined> {
    if (this.header === undefined) throw new Error("SnapshotReader.chunks() before a successful validate()");
    for (let position = this.firstRecord; ; ) {
      const r = this.record(position);
      if ("reason" in r) throw this.damaged(r);
      if (r.code === SECTION_END) return;
      const section = sectionOf(r.code);
      if (section === undefined) throw this.damaged({ reason: "bad_section", offset: position });
      yield { section, bytes: Buffer.from(this.cursor.bytes.subarray(r.start, r.end)) };
      position = r.next;
    }
  }

  close(): void {
    this.cursor.close();
  }

  private damaged(stop: SnapshotStop): SnapshotDamageError {
    this.damage = stop;
    return new SnapshotDamageError(this.path, stop);
  }

  /** The record at `position`, checked for length and checksum, or why it cannot be read. */
  private record(position: number): RecordAt | SnapshotStop {
    const { cursor } = this;
    if (position === cursor.size) return { reason: "truncated", offset: position };
    let at = cursor.load(position, RECORD_PREFIX_BYTES);
    if (at < 0) return { reason: "truncated", offset: position };
    const length = cursor.bytes.readUInt32LE(at);
    if (length < MIN_RECORD_LENGTH || length > MAX_RECORD_LENGTH) return { reason: "bad_length", offset: position };
    at = cursor.load(position, RECORD_PREFIX_BYTES + length);
    if (at < 0) return { reason: "truncated", offset: position };
    const end = at + RECORD_PREFIX_BYTES + length;
    if (cursor.bytes.readUInt32LE(at + 4) !== checksum(cursor.bytes, at + RECORD_PREFIX_BYTES, end)) return { reason: "checksum_mismatch", offset: position };
    return { code: cursor.bytes[at + RECORD_PREFIX_BYTES]!, start: at + RECORD_DATA_OFFSET, end, next: position + RECORD_PREFIX_BYTES + length };
  }
}

/** Thrown by SnapshotReader.chunks() at a damaged record instead of handing it out. */
export class SnapshotDamageError extends Error {
  readonly stop: SnapshotStop;

  constructor(path: string, stop: SnapshotStop) {
    super(`snapshot ${path} is damaged at offset ${stop.offset} (${stop.reason})`);
    this.name = "SnapshotDamageError";
    this.stop = stop;
  }
}
