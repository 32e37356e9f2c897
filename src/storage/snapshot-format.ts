import CRC32C from "crc-32/crc32c.js";
import { checksum, RECORD_PREFIX_BYTES } from "./record-format.ts";

/**
 * A snapshot file (DESIGN §7), `<lsn, 20 digits>.snap`, little-endian:
 *
 *     header (40 bytes)
 *      0  8 B  magic    "TSRSNAP\0"
 *      8  u16  version  1
 *     10  u16  header length, 40
 *     12  u64  lsn      the last command the state includes
 *     20  f64  now      the state's clock when it was captured (epoch ms)
 *     28  f64  created  wall-clock time the write began (epoch ms)
 *     36  u32  CRC32C of bytes [0, 36)
 *     records
 *      0  u32  length   bytes after the checksum: 1 + data
 *      4  u32  CRC32C   of those bytes
 *      8  u8   section  1 engine, 2 control plane, 0 end
 *      9  data
 *     footer: the last record, section end, data = u64 records before it, u64 data bytes in them;
 *     the file ends right after it.
 *
 * Every version keeps magic, version and header length at offsets 0-12 and ends its header with a
 * CRC32C of the bytes before it. So a newer version is recognised for what it is (and refused)
 * rather than taken for damage, and a flipped version field is damage, not a newer version.
 */

export const SNAPSHOT_FORMAT_VERSION = 1;
export const SNAPSHOT_HEADER_BYTES = 40;
/** Magic, version and header length: what every version's header starts with. */
export const HEADER_PREAMBLE_BYTES = 12;
/** Bounds the header length a damaged file can make the reader load. */
export const MAX_HEADER_BYTES = 4096;
/** Where a record's data starts: after its length, checksum (RECORD_PREFIX_BYTES) and section byte. */
export const RECORD_DATA_OFFSET = RECORD_PREFIX_BYTES + 1;
/** Bytes after the length and checksum of a record that holds nothing. */
export const MIN_RECORD_LENGTH = 1;
/**
 * The largest chunk a record holds. The engine writes its state in much smaller slices; the bound
 * keeps a damaged length from making the reader allocate (or wait for) gigabytes.
 */
export const MAX_CHUNK_BYTES = 64 * 1024 * 1024;
export const MAX_RECORD_LENGTH = 1 + MAX_CHUNK_BYTES;
export const FOOTER_DATA_BYTES = 16;

const MAGIC = Buffer.from("TSRSNAP\0", "latin1");
const TWO_32 = 2 ** 32;
const NAME = /^(\d{20})\.snap$/;
export const TEMP_SUFFIX = ".tmp";

/** What a snapshot's data records hold: engine state, or the control plane's (auth and secrets). */
export type SnapshotSection = "engine" | "control_plane";

export const SECTION_END = 0;
const SECTION_CODES: Readonly<Record<SnapshotSection, number>> = { engine: 1, control_plane: 2 };
const SECTIONS: readonly (SnapshotSection | undefined)[] = [undefined, "engine", "control_plane"];

export function sectionCode(section: SnapshotSection): number {
  return SECTION_CODES[section];
}

/** The section a data record's code names; undefined for the end marker and unknown codes. */
export function sectionOf(code: number): SnapshotSection | undefined {
  return SECTIONS[code];
}

export function snapshotName(lsn: number): string {
  return `${String(lsn).padStart(20, "0")}.snap`;
}

/** The LSN a snapshot file name carries, or undefined for any other name (temp files included). */
export function lsnOfName(name: string): number | undefined {
  const m = NAME.exec(name);
  return m === null ? undefined : Number(m[1]);
}

export interface SnapshotHeader {
  readonly lsn: number;
  readonly now: number;
  readonly created: number;
}

export function encodeHeader(h: SnapshotHeader): Buffer {
  const b = Buffer.alloc(SNAPSHOT_HEADER_BYTES);
  MAGIC.copy(b, 0);
  b.writeUInt16LE(SNAPSHOT_FORMAT_VERSION, 8);
  b.writeUInt16LE(SNAPSHOT_HEADER_BYTES, 10);
  writeU64(b, 12, h.lsn);
  b.writeDoubleLE(h.now, 20);
  b.writeDoubleLE(h.created, 28);
  b.writeUInt32LE(checksum(b, 0, 36), 36);
  return b;
}

/** The header length a preamble announces, or undefined when the bytes are not a snapshot's. */
export function headerLength(preamble: Buffer, at: number): number | undefined {
  if (!preamble.subarray(at, at + MAGIC.length).equals(MAGIC)) return undefined;
  const length = preamble.readUInt16LE(at + 10);
  return length >= HEADER_PREAMBLE_BYTES + 4 && length <= MAX_HEADER_BYTES ? length : undefined;
}

/**
 * Reads the `length`-byte header at `at` (length from headerLength): the header, the newer format
 * version it is in, or "bad" when its checksum or contents are wrong.
 */
export function decodeHeader(bytes: Buffer, at: number, length: number): SnapshotHeader | { readonly newerVersion: number } | "bad" {
  if (bytes.readUInt32LE(at + length - 4) !== checksum(bytes, at, at + length - 4)) return "bad";
  const version = bytes.readUInt16LE(at + 8);
  if (version > SNAPSHOT_FORMAT_VERSION) return { newerVersion: version };
  if (version !== SNAPSHOT_FORMAT_VERSION || length !== SNAPSHOT_HEADER_BYTES) return "bad";
  const lsn = readU64(bytes, at + 12);
  if (!Number.isSafeInteger(lsn)) return "bad";
  return { lsn, now: bytes.readDoubleLE(at + 20), created: bytes.readDoubleLE(at + 28) };
}

/** CRC32C of a record's section byte followed by its data, without copying the data. */
export function recordChecksum(sectionByte: number, data: Uint8Array): number {
  return CRC32C.buf(data, CRC32C.buf([sectionByte])) >>> 0;
}

/** Writes what precedes the data of a record holding `data` (RECORD_DATA_OFFSET bytes) at `offset`. */
export function writeRecordPrefix(target: Buffer, offset: number, sectionByte: number, data: Uint8Array): void {
  target.writeUInt32LE(1 + data.length, offset);
  target.writeUInt32LE(recordChecksum(sectionByte, data), offset + 4);
  target[offset + RECORD_PREFIX_BYTES] = sectionByte;
}

export interface Footer {
  /** Data records before the footer. */
  readonly records: number;
  /** Data bytes in them (excluding their prefixes). */
  readonly bytes: number;
}

export function encodeFooterData(f: Footer): Buffer {
  const b = Buffer.alloc(FOOTER_DATA_BYTES);
  writeU64(b, 0, f.records);
  writeU64(b, 8, f.bytes);
  return b;
}

export function decodeFooterData(bytes: Buffer, at: number): Footer {
  return { records: readU64(bytes, at), bytes: readU64(bytes, at + 8) };
}

function writeU64(b: Buffer, at: number, n: number): void {
  b.writeUInt32LE(n >>> 0, at);
  b.writeUInt32LE(Math.floor(n / TWO_32), at + 4);
}

function readU64(b: Buffer, at: number): number {
  return b.readUInt32LE(at) + b.readUInt32LE(at + 4) * TWO_32;
}
