import { crc32 } from "node:zlib";
import { CHUNK_HEADER_BYTES, CHUNK_TARGET_BYTES, CHUNK_TRAILER_BYTES, FLAG_LAST, FORMAT_VERSION, MAGIC, STR_ASCII, STR_UTF16, STR_UTF8 } from "./format.ts";

/**
 * Room beyond the target in a new chunk buffer: the record that crosses the target usually ends
 * within it, so a chunk is one allocation, not a doubling and a copy.
 */
const SLACK_BYTES = 64 * 1024;

/**
 * Writes the snapshot byte stream (format.ts) straight into chunk buffers: primitives are appended
 * to the open chunk, `endRecord` seals it once it reached the target size, and sealed chunks wait in
 * `take()` for the caller. Each chunk is a fresh buffer the caller owns.
 */
export class ChunkWriter {
  private buf: Buffer = newChunkBuffer(CHUNK_TARGET_BYTES + SLACK_BYTES);
  private view = new DataView(this.buf.buffer, this.buf.byteOffset, this.buf.byteLength);
  private pos = CHUNK_HEADER_BYTES;
  private seq = 0;
  private sealedBytes = 0;
  private sealed: Uint8Array[] = [];
  /** Number arrays are copied through this, then as bytes: two memcpys instead of per-number writes. */
  private scratch = new Float64Array(256);
  private scratchBytes = new Uint8Array(this.scratch.buffer);

  /** Bytes produced so far, framing included (what snapshot budgets count). */
  get written(): number {
    return this.sealedBytes + this.pos;
  }

  /** Current write offset in the open chunk (for `patchU32`). */
  get offset(): number {
    return this.pos;
  }

  /** Seals the open chunk when it reached the target size. Call between records only. */
  endRecord(): void {
    if (this.pos >= CHUNK_TARGET_BYTES) this.seal(false);
  }

  /** Seals the open chunk (if it holds anything, or when it is the last one). */
  seal(last: boolean): void {
    if (this.pos === CHUNK_HEADER_BYTES && !last) return;
    const v = this.view;
    v.setUint32(0, MAGIC, true);
    v.setUint16(4, FORMAT_VERSION, true);
    v.setUint16(6, last ? FLAG_LAST : 0, true);
    v.setUint32(8, this.seq++, true);
    v.setUint32(12, this.pos - CHUNK_HEADER_BYTES, true);
    // ensure() always leaves room for the trailer.
    v.setUint32(this.pos, crc32(this.buf.subarray(0, this.pos)), true);
    const size = this.pos + CHUNK_TRAILER_BYTES;
    // A plain Uint8Array: Buffer's slice() shares memory where Uint8Array's copies.
    this.sealed.push(new Uint8Array(this.buf.buffer, this.buf.byteOffset, size));
    this.sealedBytes += size;
    this.buf = newChunkBuffer(CHUNK_TARGET_BYTES + SLACK_BYTES);
    this.view = new DataView(this.buf.buffer, this.buf.byteOffset, this.buf.byteLength);
    this.pos = CHUNK_HEADER_BYTES;
  }

  /** The chunks sealed since the last call. */
  take(): Uint8Array[] {
    const out = this.sealed;
    this.sealed = [];
    return out;
  }

  private ensure(n: number): void {
    if (this.pos + n + CHUNK_TRAILER_BYTES <= this.buf.length) return;
    const grown = newChunkBuffer(Math.max(2 * this.buf.length, this.pos + n + CHUNK_TRAILER_BYTES));
    this.buf.copy(grown, 0, 0, this.pos);
    this.buf = grown;
    this.view = new DataView(grown.buffer, grown.byteOffset, grown.byteLength);
  }

  u8(v: number): void {
    this.ensure(1);
    this.buf[this.pos++] = v;
  }

  /** A u32 to be filled in later by patchU32 (record counts); returns its offset. */
  reserveU32(): number {
    this.ensure(4);
    const at = this.pos;
    this.pos += 4;
    return at;
  }

  patchU32(at: number, v: number): void {
    this.view.setUint32(at, v, true);
  }

  /** LEB128 of a non-negative integer below 2^53. */
  varuint(v: number): void {
    this.ensure(8);
    const b = this.buf;
    let p = this.pos;
    while (v >= 0x80) {
      b[p++] = (v % 0x80) | 0x80;
      v = Math.floor(v / 0x80);
    }
    b[p++] = v;
    this.pos = p;
  }

  f64(v: number): void {
    this.ensure(8);
    this.view.setFloat64(this.pos, v, true);
    this.pos += 8;
  }

  /** Length-prefixed string; exact for any JS string (lone surrogates included). */
  string(s: string): void {
    const n = s.length;
    this.ensure(8 + 3 * n);
    const b = this.buf;
    if (n < 32) {
      // Short keys are almost always ASCII: one pass writes them with a one-byte prefix.
      const p = this.pos + 1;
      let i = 0;
      for (; i < n; i++) {
        const c = s.charCodeAt(i);
        if (c >= 0x80) break;
        b[p + i] = c;
      }
      if (i === n) {
        b[this.pos] = n * 4 + STR_ASCII;
        this.pos = p + n;
        return;
      }
    }
    if (!(s as unknown as { isWellFormed(): boolean }).isWellFormed()) {
      this.varuint(2 * n * 4 + STR_UTF16);
      this.pos += b.write(s, this.pos, 2 * n, "utf16le");
      return;
    }
    const len = Buffer.byteLength(s, "utf8");
    this.varuint(len * 4 + (len === n ? STR_ASCII : STR_UTF8));
    this.pos += b.write(s, this.pos, len, "utf8");
  }

  /** The numbers of `a` as raw little-endian f64 (bit-exact), no length prefix. */
  doubles(a: readonly number[] | Float64Array): void {
    const n = a.length;
    if (n > this.scratch.length) {
      this.scratch = new Float64Array(Math.max(n, 2 * this.scratch.length));
      this.scratchBytes = new Uint8Array(this.scratch.buffer);
    }
    this.scratch.set(a);
    this.bytes(this.scratchBytes.subarray(0, 8 * n));
  }

  /** Raw bytes, no length prefix. */
  bytes(src: Uint8Array): void {
    this.ensure(src.length);
    this.buf.set(src, this.pos);
    this.pos += src.length;
  }
}

/** A zero-offset buffer of its own (not a slice of Node's shared pool: the caller keeps the chunks). */
function newChunkBuffer(n: number): Buffer {
  return Buffer.allocUnsafeSlow(n);
}

if (new Uint8Array(new Float64Array([1]).buffer)[7] !== 0x3f) {
  // Raw f64 copies assume the format's byte order.
  throw new Error("snapshots need a little-endian platform");
}
