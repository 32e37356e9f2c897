import { connect, type Socket } from "node:net";
import { once } from "node:events";
import { pack, unpack } from "msgpackr";

/**
 * A test client of the framed TCP wire, written from the spec (DESIGN §5, beava §6) rather than from
 * the server's code: `[u32 length BE][u16 op BE][u8 content type][payload]`, length = 3 + payload.
 */

export const OP = {
  PING: 0x0000,
  REGISTER: 0x0001,
  AUTH: 0x0002,
  PUSH: 0x0010,
  PUSH_SYNC: 0x0011,
  PUSH_BATCH: 0x0012,
  GET: 0x0020,
  GET_RESPONSE: 0x0023,
  BATCH_GET: 0x0024,
  RESET: 0x0040,
  ERROR: 0xffff,
} as const;

export const JSON_CT = 0x01;
export const MSGPACK_CT = 0x02;

export interface Frame {
  readonly op: number;
  readonly ct: number;
  readonly payload: Buffer;
}

/** One frame; a non-byte payload is encoded as JSON or msgpack according to `ct`. */
export function frame(op: number, ct: number, payload: unknown = Buffer.alloc(0)): Buffer {
  let bytes: Uint8Array;
  if (payload instanceof Uint8Array) bytes = payload;
  else if (typeof payload === "string") bytes = Buffer.from(payload);
  else bytes = ct === MSGPACK_CT ? pack(payload) : Buffer.from(JSON.stringify(payload));
  const out = Buffer.allocUnsafe(7 + bytes.length);
  out.writeUInt32BE(3 + bytes.length, 0);
  out.writeUInt16BE(op, 4);
  out.writeUInt8(ct, 6);
  out.set(bytes, 7);
  return out;
}

/** The payload of a reply, decoded by its content type. */
// Reply bodies are asserted with deepEqual, so their exact type does not matter here.
export function body(f: Frame): any {
  if (f.ct === MSGPACK_CT) return unpack(f.payload);
  if (f.ct !== JSON_CT) throw new Error(`reply with content type ${f.ct}`);
  return JSON.parse(f.payload.toString("utf8"));
}

/** A connection that reads reply frames in order; `next()` fails if the server closes first. */
export class FrameSocket {
  readonly socket: Socket;
  private buffered: Buffer = Buffer.alloc(0);
  private readonly frames: Frame[] = [];
  private readonly waiters: { resolve: (f: Frame) => void; reject: (e: Error) => void }[] = [];
  private ended = false;
  /** Resolves when the server ends the connection. */
  readonly closed: Promise<void>;

  private constructor(socket: Socket) {
    this.socket = socket;
    socket.on("data", (chunk: Buffer) => this.onData(chunk));
    this.closed = new Promise((resolve) => {
      const done = (): void => {
        this.ended = true;
        for (const w of this.waiters.splice(0)) w.reject(new Error("connection closed before the reply"));
        resolve();
      };
      socket.once("end", done);
      socket.once("close", done);
    });
    socket.on("error", () => {});
  }

  static async open(address: { host: string; port: number }): Promise<FrameSocket> {
    const socket = connect({ host: address.host, port: address.port, noDelay: true });
    await once(socket, "connect");
    return new FrameSocket(socket);
  }

  send(...frames: Buffer[]): void {
    this.socket.write(frames.length === 1 ? frames[0]! : Buffer.concat(frames));
  }

  next(): Promise<Frame> {
    const f = this.frames.shift();
    if (f !== undefined) return Promise.resolve(f);
    if (this.ended) return Promise.reject(new Error("connection closed before the reply"));
    return new Promise((resolve, reject) => this.waiters.push({ resolve, reject }));
  }

  /** The next `n` replies, in order. */
  async take(n: number): Promise<Frame[]> {
    const out: Frame[] = [];
    for (let i = 0; i < n; i++) out.push(await this.next());
    return out;
  }

  /** Sends one request and reads its reply (no other request may be in flight). */
  async call(op: number, ct: number, payload?: unknown): Promise<Frame> {
    this.send(frame(op, ct, payload));
    return this.next();
  }

  close(): void {
    this.socket.destroy();
  }

  private onData(chunk: Buffer): void {
    this.buffered = this.buffered.length === 0 ? chunk : Buffer.concat([this.buffered, chunk]);
    while (this.buffered.length >= 4) {
      const length = this.buffered.readUInt32BE(0);
      if (this.buffered.length < 4 + length) break;
      const f: Frame = { op: this.buffered.readUInt16BE(4), ct: this.buffered[6]!, payload: this.buffered.subarray(7, 4 + length) };
      this.buffered = this.buffered.subarray(4 + length);
      const w = this.waiters.shift();
      if (w !== undefined) w.resolve(f);
      else this.frames.push(f);
    }
  }
}

/** A beava event node. */
export function eventNode(name: string, fields: Record<string, string>, extra: Record<string, unknown> = {}): unknown {
  return { kind: "event", name, schema: { fields, optional_fields: [] }, ...extra };
}

/** A beava table: `upstream` grouped by `keys` with named aggregations. */
export function tableNode(name: string, upstream: string, keys: string[], agg: Record<string, unknown>): unknown {
  return { kind: "derivation", name, output_kind: "table", upstreams: [upstream], table_primary_key: keys, ops: [{ op: "group_by", keys, agg }] };
}
