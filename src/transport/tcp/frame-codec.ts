import { ContentType, HEADER_BYTES, MIN_FRAME_LENGTH } from "./opcodes.ts";
import { encodeMsgpack } from "./payload-codec.ts";

/**
 * Frame parsing and reply framing for one side of the TCP wire. Both avoid per-frame buffers: the
 * reader hands out views of the bytes it was given, and the writer frames replies into one scratch
 * buffer that is copied out once per batch.
 */

/** What FrameReader.next() found. */
export const Read = {
  /** No complete frame is buffered. */
  NEED_MORE: 0,
  /** A frame: `op`, `contentType` and `payload` are set. */
  FRAME: 1,
  /** The declared length exceeds the limit (`declared` is set); the stream cannot be resynchronised. */
  TOO_LARGE: 2,
  /** The declared length is below 3 (`declared` is set); the stream cannot be resynchronised. */
  TOO_SHORT: 3,
} as const;
export type ReadResult = (typeof Read)[keyof typeof Read];

const EMPTY = Buffer.alloc(0);

/**
 * Cuts a byte stream into frames. While nothing is left over, frames are views of the chunk as
 * received (no copy). A partial frame is copied into a buffer sized for the whole frame as soon as its
 * length is known, so a large frame arriving in many small chunks is copied once, not once per chunk.
 */
export class FrameReader {
  /** Set when next() returns FRAME. The payload is a view of received bytes, which are never overwritten. */
  op = 0;
  contentType = 0;
  payload: Buffer = EMPTY;
  /** Set when next() returns TOO_LARGE or TOO_SHORT. */
  declared = 0;

  private readonly maxLength: number;
  /** Unconsumed bytes are buf[start, end). */
  private buf: Buffer = EMPTY;
  private start = 0;
  private end = 0;
  /** True when buf was allocated here, so its spare capacity past `end` may be written. */
  private owned = false;

  /** @param maxPayloadBytes largest payload accepted; a longer declared length is TOO_LARGE. */
  constructor(maxPayloadBytes: number) {
    this.maxLength = maxPayloadBytes + MIN_FRAME_LENGTH;
  }

  append(chunk: Buffer): void {
    const pending = this.end - this.start;
    if (pending === 0) {
      this.buf = chunk;
      this.start = 0;
      this.end = chunk.length;
      this.owned = false;
      return;
    }
    if (this.owned && this.buf.length - this.end >= chunk.length) {
      chunk.copy(this.buf, this.end);
      this.end += chunk.length;
      return;
    }
    // Reserve the whole pending frame when its length is known (and legal), so later chunks of it
    // land in spare capacity.
    let frameBytes = 0;
    if (pending >= 4) {
      const length = this.buf.readUInt32BE(this.start);
      if (length >= MIN_FRAME_LENGTH && length <= this.maxLength) frameBytes = 4 + length;
    }
    const next = Buffer.allocUnsafe(Math.max(pending + chunk.length, frameBytes));
    this.buf.copy(next, 0, this.start, this.end);
    chunk.copy(next, pending);
    this.buf = next;
    this.start = 0;
    this.end = pending + chunk.length;
    this.owned = true;
  }

  next(): ReadResult {
    const available = this.end - this.start;
    if (available < 4) return Read.NEED_MORE;
    const buf = this.buf;
    const at = this.start;
    const length = buf.readUInt32BE(at);
    if (length > this.maxLength) {
      this.declared = length;
      return Read.TOO_LARGE;
    }
    if (length < MIN_FRAME_LENGTH) {
      this.declared = length;
      return Read.TOO_SHORT;
    }
    if (available < 4 + length) return Read.NEED_MORE;
    this.op = (buf[at + 4]! << 8) | buf[at + 5]!;
    this.contentType = buf[at + 6]!;
    this.payload = buf.subarray(at + HEADER_BYTES, at + 4 + length);
    this.start = at + 4 + length;
    if (this.start === this.end) this.release();
    return Read.FRAME;
  }

  /** Drops everything buffered (the connection stopped reading frames). */
  clear(): void {
    this.start = this.end = 0;
    this.release();
  }

  private release(): void {
    // Keeps neither a large reassembly buffer nor the socket's chunk alive once consumed; the last
    // payload view holds its own reference until the caller is done with it.
    this.buf = EMPTY;
    this.start = this.end = 0;
    this.owned = false;
  }
}

/** Initial (and resting) size of the reply scratch buffer. */
const SCRATCH_BYTES = 64 * 1024;

/**
 * Frames replies back to back into a scratch buffer; take() copies them out as one Buffer for one
 * socket write. The scratch is reused, so one writer may serve every connection of a server provided
 * each synchronous run takes what it wrote before yielding.
 */
export class FrameWriter {
  private buf = Buffer.allocUnsafe(SCRATCH_BYTES);
  private used = 0;

  /** Bytes framed and not yet taken. */
  get length(): number {
    return this.used;
  }

  /**
   * A reply whose payload is `value` encoded as `contentType` (JSON unless msgpack); `toJson` is the
   * JSON encoder, a precompiled one for the hottest replies.
   */
  value(op: number, contentType: number, value: unknown, toJson: (value: any) => string = JSON.stringify): void {
    if (contentType === ContentType.MSGPACK) this.bytes(op, contentType, encodeMsgpack(value));
    else this.text(op, ContentType.JSON, toJson(value));
  }

  /** A frame whose payload is `text` in UTF-8. */
  text(op: number, contentType: number, text: string): void {
    // A UTF-16 code unit never takes more than 3 UTF-8 bytes.
    this.reserve(HEADER_BYTES + text.length * 3);
    const at = this.used;
    const n = this.buf.write(text, at + HEADER_BYTES, "utf8");
    this.header(at, op, contentType, n);
  }

  bytes(op: number, contentType: number, payload: Uint8Array): void {
    this.reserve(HEADER_BYTES + payload.length);
    const at = this.used;
    this.buf.set(payload, at + HEADER_BYTES);
    this.header(at, op, contentType, payload.length);
  }

  /** Bytes that are already whole frames. */
  raw(frames: Uint8Array): void {
    this.reserve(frames.length);
    this.buf.set(frames, this.used);
    this.used += frames.length;
  }

  /** Everything written since the last take, as a Buffer of its own; null when nothing was written. */
  take(): Buffer | null {
    return this.takeFrom(0);
  }

  /** The frames written after `mark` (a previous `length`), removed from the batch. */
  takeFrom(mark: number): Buffer | null {
    if (this.used === mark) return null;
    const out = Buffer.allocUnsafe(this.used - mark);
    this.buf.copy(out, 0, mark, this.used);
    this.used = mark;
    // A huge reply must not pin a huge scratch buffer for the life of the server.
    if (mark === 0 && this.buf.length > 16 * SCRATCH_BYTES) this.buf = Buffer.allocUnsafe(SCRATCH_BYTES);
    return out;
  }

  private header(at: number, op: number, contentType: number, payloadBytes: number): void {
    const buf = this.buf;
    buf.writeUInt32BE(MIN_FRAME_LENGTH + payloadBytes, at);
    buf[at + 4] = op >>> 8;
    buf[at + 5] = op & 0xff;
    buf[at + 6] = contentType;
    this.used = at + HEADER_BYTES + payloadBytes;
  }

  private reserve(bytes: number): void {
    const needed = this.used + bytes;
    if (needed <= this.buf.length) return;
    const next = Buffer.allocUnsafe(Math.max(needed, this.buf.length * 2));
    this.buf.copy(next, 0, 0, this.used);
    this.buf = next;
  }
}
