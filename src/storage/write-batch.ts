import { growSink, type RecordSink } from "./command-codec.ts";

/** A point in a batch where a new segment starts. */
export interface SegmentRoll {
  /** Offset in the batch's bytes of the new segment's first record. */
  readonly offset: number;
  readonly firstLsn: number;
}

const INITIAL_BYTES = 64 * 1024;
/** A burst can grow a batch a lot; past this its buffer is not kept for reuse. */
const RETAINED_BYTES = 4 * 1024 * 1024;

const ignore = (): void => {};

/**
 * Records appended since the last write: they go to disk in one write (and, under fsync always,
 * one fsync), and their appenders share one durable promise.
 */
export class WriteBatch implements RecordSink {
  bytes: Buffer = Buffer.allocUnsafe(INITIAL_BYTES);
  /** Bytes used: records are encoded past this, and count once the append accounts for them. */
  length = 0;
  records = 0;
  lastLsn = 0;
  readonly rolls: SegmentRoll[] = [];
  private promise: Promise<void> | undefined;
  private resolve: (() => void) | undefined;
  private reject: ((error: Error) => void) | undefined;

  grow(size: number, keep: number): Buffer {
    return growSink(this, size, keep);
  }

  /** The promise shared by every record of this batch; made on first use. */
  durable(): Promise<void> {
    if (this.promise === undefined) {
      this.promise = new Promise<void>((resolve, reject) => {
        this.resolve = resolve;
        this.reject = reject;
      });
      // A rejection nobody awaits (an appender that dropped its promise) must not crash the process;
      // each awaiter still sees it through its own then().
      this.promise.catch(ignore);
    }
    return this.promise;
  }

  /** Settles the shared promise (rejects it when `error` is given) and empties the batch for reuse. */
  settle(error?: Error): void {
    if (error === undefined) this.resolve?.();
    else this.reject?.(error);
    this.promise = this.resolve = this.reject = undefined;
    if (this.bytes.length > RETAINED_BYTES) this.bytes = Buffer.allocUnsafe(INITIAL_BYTES);
    this.length = 0;
    this.records = 0;
    this.rolls.length = 0;
  }
}
