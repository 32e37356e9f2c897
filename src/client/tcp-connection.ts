import { connect, type Socket } from "node:net";
import { FrameReader, FrameWriter, Read } from "../transport/tcp/frame-codec.ts";
import { MIN_FRAME_LENGTH } from "../transport/tcp/opcodes.ts";
import { TesseraClientError } from "./client-error.ts";

export interface TcpConnectionOptions {
  readonly host: string;
  readonly port: number;
  /**
   * How long the oldest outstanding request may wait for its reply; 0 disables the limit. Replies
   * come back in request order, so an overdue reply blocks every request behind it: the connection
   * is then dropped.
   */
  readonly timeoutMs: number;
}

/**
 * Turns a reply frame into the request's result; called synchronously when the frame arrives, while
 * `payload` (a view of the read buffer) is valid. A throw rejects the request.
 */
export type ReadReply<T> = (op: number, contentType: number, payload: Buffer) => T;

interface Pending {
  readonly read: ReadReply<unknown>;
  readonly resolve: (value: unknown) => void;
  readonly reject: (error: unknown) => void;
  readonly deadline: number;
}

/** Replies are not limited by the client: the u32 length field is the only bound. */
const MAX_REPLY_PAYLOAD = 0xffff_ffff - MIN_FRAME_LENGTH;

/**
 * One pipelined connection. Frames requested during one tick are framed back to back and written
 * together at the end of the tick; replies, which carry no request id, are matched to requests in
 * FIFO order. Once closed — by the server, a network error, an overdue reply or close() — it stays
 * closed: outstanding requests are rejected with `unavailable` and the owner opens a new connection.
 * The frame reader and writer are the server's (src/transport/tcp/frame-codec.ts): one codec for both
 * ends of the wire.
 */
export class TcpConnection {
  private readonly socket: Socket;
  private readonly reader = new FrameReader(MAX_REPLY_PAYLOAD);
  private readonly writer = new FrameWriter();
  private flushScheduled = false;
  private readonly pending: (Pending | undefined)[] = [];
  /** Index of the oldest outstanding request in `pending` (shifting a long array is O(n)). */
  private head = 0;
  private timer: NodeJS.Timeout | undefined;
  private closeReason: string | undefined;
  /** False until the TCP handshake completes: requests that never left cannot have been applied. */
  private connected = false;
  private readonly address: string;
  private readonly timeoutMs: number;

  constructor(options: TcpConnectionOptions) {
    this.address = `${options.host}:${options.port}`;
    this.timeoutMs = options.timeoutMs;
    this.socket = connect({ host: options.host, port: options.port, noDelay: true });
    this.socket.once("connect", () => (this.connected = true));
    this.socket.on("data", (chunk: Buffer) => this.onData(chunk));
    // The server ended its side (after frame_too_large, or on shutdown): no further request may be
    // queued here, though replies already sent are still read until the close.
    this.socket.once("end", () => this.noteClose("closed by the server"));
    this.socket.on("error", (e) => this.noteClose(e.message));
    this.socket.on("close", () => this.onClose());
  }

  get closed(): boolean {
    return this.closeReason !== undefined;
  }

  /** Sends one frame; resolves with what `read` makes of its reply. */
  request<T>(op: number, contentType: number, payload: Uint8Array, read: ReadReply<T>): Promise<T> {
    if (this.closed) return Promise.reject(this.unavailable(this.closeReason!, 0));
    return new Promise<T>((resolve, reject) => {
      const deadline = this.timeoutMs > 0 ? performance.now() + this.timeoutMs : Infinity;
      this.pending.push({ read, resolve: resolve as (value: unknown) => void, reject, deadline });
      if (this.timer === undefined && this.timeoutMs > 0) this.armTimer();
      this.writer.bytes(op, contentType, payload);
      if (!this.flushScheduled) {
        this.flushScheduled = true;
        process.nextTick(() => this.flush());
      }
    });
  }

  /** Closes the connection; outstanding requests are rejected. */
  close(reason: string): void {
    this.noteClose(reason);
    this.socket.destroy();
  }

  private flush(): void {
    this.flushScheduled = false;
    const bytes = this.writer.take();
    if (bytes !== null && !this.closed) this.socket.write(bytes);
  }

  private onData(chunk: Buffer): void {
    this.reader.append(chunk);
    for (;;) {
      const r = this.reader.next();
      if (r === Read.NEED_MORE) break;
      if (r !== Read.FRAME) {
        this.close(`the server sent a frame with declared length ${this.reader.declared}`);
        return;
      }
      const p = this.pending[this.head];
      if (p === undefined) {
        this.close(`the server sent a reply (op 0x${this.reader.op.toString(16)}) with no request outstanding`);
        return;
      }
      this.pending[this.head++] = undefined;
      try {
        p.resolve(p.read(this.reader.op, this.reader.contentType, this.reader.payload));
      } catch (e) {
        p.reject(e);
      }
    }
    if (this.head === this.pending.length) {
      this.pending.length = 0;
      this.head = 0;
    } else if (this.head > 1024 && this.head * 2 > this.pending.length) {
      this.pending.splice(0, this.head);
      this.head = 0;
    }
    if (this.timeoutMs > 0) this.armTimer();
  }

  /** One timer, for the oldest outstanding request: no later request can be answered before it. */
  private armTimer(): void {
    clearTimeout(this.timer);
    this.timer = undefined;
    const oldest = this.pending[this.head];
    if (oldest === undefined || this.closed) return;
    this.timer = setTimeout(() => {
      this.timer = undefined;
      const p = this.pending[this.head];
      if (p === undefined) return;
      if (performance.now() < p.deadline) {
        this.armTimer();
        return;
      }
      this.pending[this.head++] = undefined;
      p.reject(new TesseraClientError("deadline_exceeded", `no reply from ${this.address} within ${this.timeoutMs} ms`, { transport: "tcp" }));
      this.close(`a reply was overdue by more than ${this.timeoutMs} ms`);
    }, Math.max(0, oldest.deadline - performance.now()));
  }

  private noteClose(reason: string): void {
    this.closeReason ??= reason;
  }

  private onClose(): void {
    this.noteClose("closed by the server");
    clearTimeout(this.timer);
    this.timer = undefined;
    this.reader.clear();
    const lost = this.pending.slice(this.head);
    this.pending.length = 0;
    this.head = 0;
    const error = this.unavailable(this.closeReason!, lost.length);
    for (const p of lost) p!.reject(error);
  }

  private unavailable(reason: string, lost: number): TesseraClientError {
    let message: string;
    if (!this.connected) message = `cannot connect to ${this.address} (${reason}); nothing was sent`;
    else {
      const unanswered = lost === 0 ? "" : ` with ${lost} request(s) unanswered; each may or may not have been applied`;
      message = `TCP connection to ${this.address} closed (${reason})${unanswered}`;
    }
    return new TesseraClientError("unavailable", `${message}. The next request opens a new connection.`, { transport: "tcp", details: { reason } });
  }
}
