import { crc32 } from "node:zlib";
import { CHUNK_HEADER_BYTES, CHUNK_TRAILER_BYTES, FLAG_LAST, FORMAT_VERSION, MAGIC, STR_ASCII, STR_UTF16, STR_UTF8 } from "./format.ts";
import { snapshotError } from "../../errors/snapshot-fields.ts";

/**
 * Reads one verified chunk's payload (format.ts). Every read is bounds-checked against the payload
 * and fails with snapshotError, so no input makes a restore read past its bytes, allocate more than
 * the bytes could describe, or loop longer than they are.
 */
export class ChunkReader {
  readonly last: boolean;
  private readonly buf: Buffer;
  private readonly view: DataView;
  private pos = CHUNK_HEADER_BYTES;
  private readonly end: number;

  /** Verifies the framing of chunk number `seq` (magic, version, sequence, length, CRC). */
  constructor(chunk: Uint8Array, seq: number) {
    if (!(chunk instanceof Uint8Array)) throw snapshotError(`chunk ${seq} is not a Uint8Array`);
    if (chunk.byteLength < CHUNK_HEADER_BYTES + CHUNK_TRAILER_BYTES) throw snapshotError(`chunk ${seq} is too short (${chunk.byteLength} bytes)`);
    this.buf = Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength);
    this.view = new DataView(chunk.buffer, chunk.byteOffset, chunk.byteLength);
    const v = this.view;
    if (v.getUint32(0, true) !== MAGIC) throw snapshotError(`chunk ${seq} does not start with the snapshot magic`);
    const version = v.getUint16(4, true);
    if (version !== FORMAT_VERSION) throw snapshotError(`unsupported format version ${version} (this build reads ${FORMAT_VERSION})`);
    const length = v.getUint32(12, true);
    if (CHUNK_HEADER_BYTES + length + CHUNK_TRAILER_BYTES !== chunk.byteLength) {
      throw snapshotError(`chunk ${seq} is ${chunk.byteLength} bytes, its header says ${CHUNK_HEADER_BYTES + length + CHUNK_TRAILER_BYTES}`);
    }
    this.end = CHUNK_HEADER_BYTES + length;
    if (crc32(this.buf.subarray(0, this.end)) !== v.getUint32(this.end, true)) throw snapshotError(`chunk ${seq} fails its checksum`);
    const got = v.getUint32(8, true);
    if (got !== seq) throw snapshotError(`chunk ${got} found where chunk ${seq} was expected (chunks missing or out of order)`);
    this.last = (v.getUint16(6, true) & FLAG_LAST) !== 0;
  }

  get atEnd(): boolean {
    return this.pos === this.end;
  }

  /** Moves past the next `n` bytes (bounds-checked); returns where they start. */
  private take(n: number): number {
    if (n > this.end - this.pos) throw snapshotError("a record runs past the end of its chunk");
    const at = this.pos;
    this.pos += n;
    return at;
  }

  u8(): number {
    return this.buf[this.take(1)]!;
  }

  u32(): number {
    return this.view.getUint32(this.take(4), true);
  }

  varuint(): number {
    let v = 0;
    let scale = 1;
    for (let i = 0; i < 8; i++) {
      const b = this.u8();
      v += (b & 0x7f) * scale;
      if (b < 0x80) return v;
      scale *= 0x80;
    }
    throw snapshotError("an integer is longer than 53 bits");
  }

  /** A count of items that each take at least `minBytes`: never more than the payload could hold. */
  count(minBytes: number): number {
    const n = this.varuint();
    if (n * minBytes > this.end - this.pos) throw snapshotError(`a count of ${n} does not fit in its chunk`);
    return n;
  }

  f64(): number {
    return this.view.getFloat64(this.take(8), true);
  }

  string(): string {
    const h = this.varuint();
    const enc = h % 4;
    const len = (h - enc) / 4;
    const from = this.take(len);
    if (enc === STR_ASCII) return this.buf.toString("latin1", from, from + len);
    if (enc === STR_UTF8) return this.buf.toString("utf8", from, from + len);
    if (enc === STR_UTF16 && len % 2 === 0) return this.buf.toString("utf16le", from, from + len);
    throw snapshotError(`bad string encoding ${enc}`);
  }

  /** `n` raw f64 into out[0..n). */
  doubles(out: number[] | Float64Array, n: number): void {
    const v = this.view;
    const p = this.take(8 * n);
    for (let i = 0; i < n; i++) out[i] = v.getFloat64(p + 8 * i, true);
  }

  /** A copy of the next `n` bytes. */
  bytes(n: number): Uint8Array {
    const p = this.take(n);
    return new Uint8Array(this.buf.subarray(p, p + n));
  }
}
