import type { Socket } from "node:net";
import type { Caller } from "../../auth/caller.ts";
import { TesseraError } from "../../errors/tessera-error.ts";
import { asTesseraError, beavaError } from "../../errors/wire-errors.ts";
import type { Logger } from "../../logger.ts";
import { DurableReply, type DataPlane } from "../../service/data-plane.ts";
import { isObject } from "../../service/request-shapes.ts";
import type { ServerMetrics } from "../metrics.ts";
import { FrameReader, FrameWriter, Read, type ReadResult } from "./frame-codec.ts";
import { ContentType, MIN_FRAME_LENGTH, Op } from "./opcodes.ts";
import { decodePayload } from "./payload-codec.ts";
import { AUTH_OFF_REPLY, checkContentType, operationOf, unknownOp, type TcpOperation } from "./tcp-operations.ts";

/** Per-connection limits; the defaults are DEFAULT_TCP_LIMITS in tcp-server.ts. */
export interface TcpConnectionLimits {
  /**
   * Largest payload accepted; a longer declared length is frame_too_large and closes the connection.
   * Default 4 MiB.
   */
  readonly maxPayloadBytes: number;
  /**
   * Reading stops while this connection holds this many reply bytes (not yet taken by the kernel, or
   * waiting behind an unfinished reply), so a client that does not read its replies cannot grow
   * server memory. Default 256 KiB.
   */
  readonly replyHighWaterMark: number;
  /** Reading also stops while this many replies wait for an earlier unfinished one (a durable ack). Default 4096. */
  readonly maxQueuedReplies: number;
}

/** What every connection of a server shares. */
export interface TcpConnectionContext {
  readonly plane: DataPlane;
  readonly metrics: ServerMetrics;
  readonly logger: Logger;
  /** One scratch for all connections: each synchronous run takes what it framed before yielding. */
  readonly writer: FrameWriter;
  readonly limits: TcpConnectionLimits;
  /**
   * Auth required: turns an OP_AUTH `api_key` into a Caller (throws unauthenticated). Absent (auth
   * off): every frame runs with no caller, which the service allows.
   */
  readonly authenticate?: (apiKey: unknown) => Caller;
}

/** What every frame before a successful OP_AUTH answers when auth is required. */
const AUTH_FIRST_MESSAGE = "authenticate first: send OP_AUTH (0x0002) with {\"api_key\": \"<key>\"}";

/** Where a queued reply stands. */
const SlotState = {
  /** Its service call, or the durability it waits for, is unfinished. */
  WAITING: 0,
  /** Framed: `bytes`. */
  FRAMED: 1,
  /** Finished with `value`, to be framed when its turn comes. */
  SUCCEEDED: 2,
  /** Failed with `error`, to be framed when its turn comes. */
  FAILED: 3,
} as const;
type SlotState = (typeof SlotState)[keyof typeof SlotState];

/**
 * A reply that cannot be written yet because it, or an earlier one, is unfinished. Replies carry no
 * request id, so strict request order is the only way a client can match them.
 */
interface Slot {
  state: SlotState;
  /** The framed reply. A finished reply is framed only when its turn comes, so until then its bytes are not in queuedBytes. */
  bytes: Buffer | null;
  /** Set for a DurableReply: the durability it waits for; cleared when that settles. */
  durable: Promise<void> | null;
  value: unknown;
  error: unknown;
  /** What frames the reply once it is known (unused for a slot queued already FRAMED). */
  operation: TcpOperation | null;
  contentType: number;
  start: number;
  next: Slot | null;
}

const PRINCIPAL_TYPE_NAMES = { user: "PRINCIPAL_TYPE_USER", service_account: "PRINCIPAL_TYPE_SERVICE_ACCOUNT" } as const;

function framedSlot(bytes: Buffer): Slot {
  return { state: SlotState.FRAMED, bytes, durable: null, value: undefined, error: undefined, operation: null, contentType: 0, start: 0, next: null };
}

function waitingSlot(operation: TcpOperation, contentType: number, start: number, durable: Promise<void> | null, value: unknown): Slot {
  return { state: SlotState.WAITING, bytes: null, durable, value, error: undefined, operation, contentType, start, next: null };
}

/** The body written when even an error body cannot be encoded. */
const INTERNAL_ERROR_TEXT = JSON.stringify(beavaError(new TesseraError("internal_error", "internal error")).body);

/**
 * One framed TCP connection: frames are cut from the byte stream, dispatched to the service in order,
 * and replies go back in request order. Synchronous results (the common case) are framed straight
 * into the batch that is written once per received chunk; only a reply that must wait (a durable ack,
 * or anything behind one) is queued.
 */
export class TcpConnection {
  private readonly socket: Socket;
  private readonly ctx: TcpConnectionContext;
  private readonly reader: FrameReader;
  private head: Slot | null = null;
  private tail: Slot | null = null;
  /** Replies in the queue, finished or not. */
  private queuedReplies = 0;
  /** Bytes of the finished replies in the queue. */
  private queuedBytes = 0;
  /** False once no further frame is read: the server is draining, or the stream cannot be framed. */
  private accepting = true;
  /** The client half-closed: answer what was received, then end. */
  private inputEnded = false;
  private ended = false;
  private paused = false;
  /** A release is queued behind the replies settling in this run of microtasks. */
  private releaseScheduled = false;
  /** The durability the newest DurableReply waits for; one subscription serves all its slots. */
  private awaited: Promise<void> | null = null;
  /** Set by a successful OP_AUTH; a failed one clears it. Service checks re-validate it per frame. */
  private caller: Caller | undefined;
  /** Why the last OP_AUTH failed: what the frames after it answer, rather than "authenticate first". */
  private authFailure: unknown;

  constructor(socket: Socket, ctx: TcpConnectionContext) {
    this.socket = socket;
    this.ctx = ctx;
    this.reader = new FrameReader(ctx.limits.maxPayloadBytes);
    socket.on("data", (chunk: Buffer) => {
      if (!this.accepting) return;
      this.reader.append(chunk);
      this.guarded();
    });
    socket.on("drain", () => this.guarded());
    socket.on("end", () => {
      this.inputEnded = true;
      this.guarded();
    });
    socket.on("error", (e) => {
      ctx.logger.debug({ err: e }, "tcp connection error");
      socket.destroy();
    });
    socket.once("close", () => {
      this.head = this.tail = null;
      this.reader.clear();
    });
  }

  /** True while reading is stopped because the client is not taking its replies. */
  get isPaused(): boolean {
    return this.paused;
  }

  /** Reply bytes held for this connection: unsent by the socket plus finished but queued. */
  get heldReplyBytes(): number {
    return this.socket.writableLength + this.queuedBytes;
  }

  /** Server shutdown: read no more frames, finish the replies already owed, then end. */
  drain(): void {
    if (!this.accepting) return;
    this.stopAccepting();
    this.guarded();
  }

  destroy(): void {
    this.socket.destroy();
  }

  /** Event handlers never throw: a bug costs this connection, never the process. */
  private guarded(): void {
    try {
      this.pump();
    } catch (e) {
      this.ctx.logger.error({ err: e }, "tcp connection failed");
      // Whatever this run framed must not leak into another connection's batch.
      this.ctx.writer.take();
      this.socket.destroy();
    }
  }

  /** Dispatches buffered frames while replies may still be held, writes the batch, then applies flow control. */
  private pump(): void {
    if (this.socket.destroyed) {
      this.ctx.writer.take();
      return;
    }
    // Frames stop being taken when the batch alone reaches the high-water mark; if the kernel then
    // takes the whole batch, the rest of what was received is dispatched now, as no event would
    // come for it.
    let exhausted = !this.accepting;
    for (;;) {
      if (!exhausted) exhausted = this.dispatchBuffered();
      const out = this.ctx.writer.take();
      if (out !== null) this.socket.write(out);
      if (exhausted || this.blocked()) break;
    }
    // A connection that reads no more frames keeps draining its input, so the client's close is
    // seen and its unread bytes never turn our FIN into a reset.
    const pause = this.accepting && this.blocked();
    if (pause !== this.paused) {
      this.paused = pause;
      if (pause) this.socket.pause();
      else this.socket.resume();
    }
    if (!this.ended && this.head === null && exhausted && (!this.accepting || this.inputEnded)) {
      this.ended = true;
      this.socket.end();
    }
  }

  /** Dispatches buffered frames until none is left (true) or replies are held up to the limit (false). */
  private dispatchBuffered(): boolean {
    const reader = this.reader;
    // One clock read per batch: the frames of one chunk arrived together.
    let start: number | undefined;
    while (!this.blocked()) {
      const r = reader.next();
      if (r === Read.NEED_MORE) return true;
      start ??= performance.now();
      if (r === Read.FRAME) this.dispatch(reader.op, reader.contentType, reader.payload, start);
      else {
        this.unframeable(r, reader.declared, start);
        return true;
      }
    }
    return false;
  }

  private blocked(): boolean {
    const limits = this.ctx.limits;
    return (
      this.socket.writableLength + this.ctx.writer.length + this.queuedBytes >= limits.replyHighWaterMark ||
      this.queuedReplies >= limits.maxQueuedReplies
    );
  }

  private dispatch(op: number, contentType: number, payload: Buffer, start: number): void {
    const operation = operationOf(op);
    if (operation === undefined) {
      this.answerFailure("unknown_op", unknownOp(op), start);
      return;
    }
    let result: unknown;
    try {
      checkContentType(operation, contentType);
      if (operation.op === Op.AUTH) result = this.authenticate(payload, contentType);
      else {
        if (this.caller === undefined && this.ctx.authenticate !== undefined) throw this.authFailure ?? new TesseraError("unauthenticated", AUTH_FIRST_MESSAGE);
        result = operation.call(this.ctx.plane, payload, contentType, this.caller);
      }
    } catch (e) {
      this.answerFailure(operation.name, e, start);
      return;
    }
    const replyType = operation.replies === "request" && contentType === ContentType.MSGPACK ? ContentType.MSGPACK : ContentType.JSON;
    if (result instanceof DurableReply) this.answerWhenDurable(result, operation, replyType, start);
    else if (result instanceof Promise) this.answerLater(result, operation, replyType, start);
    else this.answerSuccess(operation, replyType, result, start);
  }

  /** OP_AUTH: the connection runs as the key's principal from the next frame on. */
  private authenticate(payload: Buffer, contentType: number): unknown {
    const authenticate = this.ctx.authenticate;
    if (authenticate === undefined) return AUTH_OFF_REPLY;
    this.caller = undefined;
    let caller: Caller;
    try {
      let body: unknown;
      try {
        body = decodePayload(contentType, payload);
      } catch {
        // The parser's message quotes the bytes around the fault: part of a key.
        throw new TesseraError("unauthenticated", 'OP_AUTH expects {"api_key": "<key>"} as JSON or msgpack');
      }
      const key = isObject(body) ? body["api_key"] : undefined;
      caller = authenticate(key);
    } catch (e) {
      this.authFailure = e;
      throw e;
    }
    this.authFailure = undefined;
    this.caller = caller;
    return { authenticated: true, principal: { principal_type: PRINCIPAL_TYPE_NAMES[caller.actor.type], id: caller.actor.id } };
  }

  private answerSuccess(operation: TcpOperation, contentType: number, value: unknown, start: number): void {
    if (this.head === null) {
      this.writeSuccess(operation, contentType, value, start);
      return;
    }
    const writer = this.ctx.writer;
    const mark = writer.length;
    this.writeSuccess(operation, contentType, value, start);
    this.enqueue(framedSlot(writer.takeFrom(mark)!));
  }

  private answerFailure(route: string, e: unknown, start: number): void {
    if (this.head === null) {
      this.writeFailure(route, e, start);
      return;
    }
    const writer = this.ctx.writer;
    const mark = writer.length;
    this.writeFailure(route, e, start);
    this.enqueue(framedSlot(writer.takeFrom(mark)!));
  }

  /** The reply waits for the service; everything after it queues behind it. */
  private answerLater(promise: Promise<unknown>, operation: TcpOperation, contentType: number, start: number): void {
    const slot = waitingSlot(operation, contentType, start, null, undefined);
    this.enqueue(slot);
    promise.then(
      (value) => {
        slot.value = value;
        slot.state = SlotState.SUCCEEDED;
        this.scheduleRelease();
      },
      (e: unknown) => {
        slot.error = e;
        slot.state = SlotState.FAILED;
        this.scheduleRelease();
      },
    );
  }

  /**
   * The reply is known and waits for its durability. Consecutive pushes of one group commit share
   * that promise, so the connection subscribes once per batch rather than once per push.
   */
  private answerWhenDurable(reply: DurableReply<unknown>, operation: TcpOperation, contentType: number, start: number): void {
    const durable = reply.durable;
    this.enqueue(waitingSlot(operation, contentType, start, durable, reply.value));
    if (durable === this.awaited) return;
    this.awaited = durable;
    durable.then(
      () => this.durableSettled(durable, SlotState.SUCCEEDED, undefined),
      (e: unknown) => this.durableSettled(durable, SlotState.FAILED, e),
    );
  }

  /** Every reply waiting for `durable` is finished: succeeded, or failed with `error`. */
  private durableSettled(durable: Promise<void>, state: typeof SlotState.SUCCEEDED | typeof SlotState.FAILED, error: unknown): void {
    if (this.awaited === durable) this.awaited = null;
    for (let slot = this.head; slot !== null; slot = slot.next) {
      if (slot.durable !== durable) continue;
      slot.durable = null;
      slot.state = state;
      slot.error = error;
    }
    this.scheduleRelease();
  }

  private enqueue(slot: Slot): void {
    if (this.tail === null) this.head = slot;
    else this.tail.next = slot;
    this.tail = slot;
    this.queuedReplies++;
    if (slot.bytes !== null) this.queuedBytes += slot.bytes.length;
  }

  /**
   * Releases once the replies settling now have all settled. Under --fsync always every ack of a
   * group commit settles in the same run of microtasks, so they leave in one socket write rather
   * than one write, and one syscall, per reply.
   */
  private scheduleRelease(): void {
    if (this.releaseScheduled) return;
    this.releaseScheduled = true;
    queueMicrotask(() => {
      this.releaseScheduled = false;
      this.release();
    });
  }

  /** Frames the finished replies at the front of the queue into the batch and writes it. */
  private release(): void {
    if (this.socket.destroyed) return;
    const writer = this.ctx.writer;
    let slot = this.head;
    for (; slot !== null && slot.state !== SlotState.WAITING; slot = slot.next) {
      if (slot.state === SlotState.FRAMED) {
        writer.raw(slot.bytes!);
        this.queuedBytes -= slot.bytes!.length;
      } else if (slot.state === SlotState.SUCCEEDED) this.writeSuccess(slot.operation!, slot.contentType, slot.value, slot.start);
      else this.writeFailure(slot.operation!.name, slot.error, slot.start);
      this.queuedReplies--;
    }
    this.head = slot;
    if (slot === null) this.tail = null;
    this.guarded();
  }

  private writeSuccess(operation: TcpOperation, contentType: number, value: unknown, start: number): void {
    try {
      this.ctx.writer.value(operation.replyOp, contentType, value, operation.toJson);
    } catch (e) {
      this.writeFailure(operation.name, e, start);
      return;
    }
    this.ctx.metrics.observe(operation.name, "tcp", "ok", start);
  }

  private writeFailure(route: string, e: unknown, start: number): void {
    const error = asTesseraError(e);
    if (!(e instanceof TesseraError)) this.ctx.logger.error({ err: e, route }, "tcp request failed");
    let text: string;
    try {
      text = JSON.stringify(beavaError(error).body);
    } catch {
      text = INTERNAL_ERROR_TEXT;
    }
    this.ctx.writer.text(Op.ERROR_RESPONSE, ContentType.JSON, text);
    this.ctx.metrics.observe(route, "tcp", error.code, start);
  }

  /** The declared length is out of bounds: nothing after it can be framed, so answer and close. */
  private unframeable(result: ReadResult, declared: number, start: number): void {
    const limit = this.ctx.limits.maxPayloadBytes + MIN_FRAME_LENGTH;
    const error =
      result === Read.TOO_LARGE
        ? new TesseraError("frame_too_large", `declared frame length ${declared} exceeds limit ${limit}`, { limit, declared })
        : new TesseraError("frame_error", `declared frame length ${declared} is below the minimum of ${MIN_FRAME_LENGTH}`, { declared });
    this.answerFailure("frame", error, start);
    this.stopAccepting();
  }

  private stopAccepting(): void {
    this.accepting = false;
    this.reader.clear();
  }
}
