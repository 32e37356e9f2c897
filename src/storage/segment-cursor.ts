import { closeSync, fstatSync, openSync, readSync } from "node:fs";

const WINDOW_BYTES = 4 * 1024 * 1024;

/**
 * Sequential reads of one segment file through a window buffer, so recovery needs memory for the
 * largest record rather than the largest segment. `bytes` holds file bytes [windowStart, windowEnd).
 */
export class SegmentCursor {
  readonly size: number;
  bytes: Buffer = Buffer.allocUnsafe(WINDOW_BYTES);
  private readonly fd: number;
  private windowStart = 0;
  private windowEnd = 0;

  constructor(path: string) {
    this.fd = openSync(path, "r");
    try {
      this.size = fstatSync(this.fd).size;
    } catch (e) {
      closeSync(this.fd);
      throw e;
    }
  }

  /**
   * Makes file bytes [position, position + n) available in `bytes` and returns the index of
   * `position` there, or -1 when the file ends before position + n.
   */
  load(position: number, n: number): number {
    if (position + n > this.size) return -1;
    if (position >= this.windowStart && position + n <= this.windowEnd) return position - this.windowStart;
    const kept = position < this.windowEnd && position >= this.windowStart ? this.windowEnd - position : 0;
    if (n > this.bytes.length) {
      const grown = Buffer.allocUnsafe(Math.max(n, 2 * this.bytes.length));
      if (kept > 0) this.bytes.copy(grown, 0, position - this.windowStart, this.windowEnd - this.windowStart);
      this.bytes = grown;
    } else if (kept > 0) {
      this.bytes.copyWithin(0, position - this.windowStart, this.windowEnd - this.windowStart);
    }
    this.windowStart = position;
    this.windowEnd = position + kept;
    const want = Math.min(this.bytes.length, this.size - position);
    while (this.windowEnd - position < want) {
      const got = readSync(this.fd, this.bytes, this.windowEnd - position, want - (this.windowEnd - position), this.windowEnd);
      if (got === 0) break;
      this.windowEnd += got;
    }
    return this.windowEnd - position >= n ? 0 : -1;
  }

  close(): void {
    closeSync(this.fd);
  }
}
