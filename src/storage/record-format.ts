import CRC32C from "crc-32/crc32c.js";

/**
 * One command log record (DESIGN §7), little-endian:
 *
 *     0  u32  length   bytes after the checksum: 16 + command bytes
 *     4  u32  crc32c   of those `length` bytes (Castagnoli, as iSCSI/ext4/Kafka use)
 *     8  u64  lsn
 *    16  f64  now      epoch ms the command was first applied at; f64 holds any clock value exactly
 *    24  ...  command  a format byte and the encoded command (command-codec.ts)
 *
 * The length is outside the checksum, so a damaged length shows up either as an impossible length
 * or as a checksum mismatch over the wrong range; recovery treats both as the end of the log.
 */

/** Length and checksum: what precedes the checksummed bytes. */
export const RECORD_PREFIX_BYTES = 8;
/** Everything before the command bytes. */
export const RECORD_HEADER_BYTES = 24;
/** LSN, time, the format byte and at least one byte of MessagePack. */
export const MIN_RECORD_LENGTH = 18;
/**
 * Transports cap bodies at 4 MiB, so real records stay far below this; the bound keeps a damaged
 * length from making recovery read (or wait for) gigabytes.
 */
export const MAX_RECORD_LENGTH = 64 * 1024 * 1024;

const TWO_32 = 2 ** 32;

/** The length field of a record whose command (format byte included) takes `commandBytes`. */
export function lengthFor(commandBytes: number): number {
  return RECORD_HEADER_BYTES - RECORD_PREFIX_BYTES + commandBytes;
}

/** CRC32C of bytes[start, end), unsigned. */
export function checksum(bytes: Uint8Array, start: number, end: number): number {
  return CRC32C.buf(bytes.subarray(start, end)) >>> 0;
}

/**
 * Fills in the header of the record at `offset` whose command bytes are already in place after it;
 * `length` is lengthFor(the command's size).
 */
export function sealRecord(target: Buffer, offset: number, length: number, lsn: number, now: number): void {
  // Plain byte stores: Buffer's write methods validate every argument, which costs more than the
  // stores themselves on a path taken once per command.
  putU32(target, offset, length);
  putU32(target, offset + 8, lsn >>> 0);
  putU32(target, offset + 12, Math.floor(lsn / TWO_32));
  target.writeDoubleLE(now, offset + 16);
  putU32(target, offset + 4, checksum(target, offset + RECORD_PREFIX_BYTES, offset + RECORD_PREFIX_BYTES + length));
}

function putU32(target: Buffer, at: number, v: number): void {
  target[at] = v;
  target[at + 1] = v >>> 8;
  target[at + 2] = v >>> 16;
  target[at + 3] = v >>> 24;
}

export function recordLength(bytes: Buffer, offset: number): number {
  return bytes.readUInt32LE(offset);
}

/** True when the stored checksum matches the record's bytes; the whole record must be in `bytes`. */
export function checksumMatches(bytes: Buffer, offset: number, length: number): boolean {
  const start = offset + RECORD_PREFIX_BYTES;
  return bytes.readUInt32LE(offset + 4) === checksum(bytes, start, start + length);
}

export function recordLsn(bytes: Buffer, offset: number): number {
  return bytes.readUInt32LE(offset + 8) + bytes.readUInt32LE(offset + 12) * TWO_32;
}

export function recordNow(bytes: Buffer, offset: number): number {
  return bytes.readDoubleLE(offset + 16);
}
