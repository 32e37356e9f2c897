import { Packr, type Options as MsgpackOptions } from "msgpackr";
import { ContentType, Op } from "../transport/tcp/opcodes.ts";
import { decodePayload } from "../transport/tcp/payload-codec.ts";
import { operationOf } from "../transport/tcp/tcp-operations.ts";
import * as beava from "./beava-json.ts";
import { errorFromBeavaBody, TesseraClientError } from "./client-error.ts";
import {
  DEFAULT_TIMEOUT_MS,
  type BatchGetResult,
  type DataPlaneClient,
  type EntityKey,
  type FeatureRow,
  type GetOptions,
  type GetRequest,
  type JsonObject,
  type PingResult,
  type PushBatchResult,
  type PushEvent,
  type PushResult,
  type RegisterOptions,
  type RegisterResult,
  type ResetResult,
  type WorkspaceOption,
} from "./data-plane-client.ts";
import { TcpConnection } from "./tcp-connection.ts";

export type TcpEncoding = "msgpack" | "json";

export interface TcpClientOptions {
  readonly host: string;
  readonly port: number;
  /**
   * Connections in the pool; requests are spread round-robin. Requests on one connection are applied
   * in the order they are made; across connections there is no order. Default 1.
   */
  readonly poolSize?: number;
  /** Payload encoding of requests. REGISTER is always JSON (the only encoding beava accepts for it). Default "msgpack". */
  readonly encoding?: TcpEncoding;
  /** Sent as OP_AUTH first on every new connection. Default: none (a server with `--auth off`). */
  readonly apiKey?: string;
  /** How long a reply may be outstanding before its connection is dropped; 0 disables it. Default 30 000 ms. */
  readonly timeoutMs?: number;
  /**
   * Largest request payload sent; a longer one fails with `frame_too_large` without being sent (the
   * server would close the connection, failing the requests pipelined behind it). Default 4 MiB, the
   * server's default limit.
   */
  readonly maxPayloadBytes?: number;
}

/** The wire's default payload cap (DESIGN §5; the server's DEFAULT_TCP_LIMITS.maxPayloadBytes), 4 MiB. */
export const DEFAULT_MAX_PAYLOAD_BYTES = 4 * 1024 * 1024;

/**
 * Standard msgpack maps (no msgpackr records). Unlike the server's reply encoder, undefined members
 * are dropped as JSON.stringify drops them, so a request means the same in both encodings.
 */
const packr = new Packr({ useRecords: false, skipValues: [undefined] } as MsgpackOptions);

const EMPTY = new Uint8Array(0);

/**
 * The beava verbs over the framed TCP listener: a pool of pipelined connections (tcp-connection.ts).
 * A connection that closes is replaced on the next request that falls on it; the requests it was
 * carrying are rejected with `unavailable`, never retried (a push may have been applied).
 */
export class TcpDataPlaneClient implements DataPlaneClient {
  readonly transport = "tcp";
  private readonly options: TcpClientOptions;
  private readonly slots: (TcpConnection | undefined)[];
  private readonly contentType: number;
  private readonly maxPayloadBytes: number;
  private next = 0;
  private closed = false;

  constructor(options: TcpClientOptions) {
    const poolSize = options.poolSize ?? 1;
    if (!Number.isInteger(poolSize) || poolSize < 1) throw new RangeError(`poolSize must be a positive integer, got ${poolSize}`);
    this.options = options;
    this.slots = new Array<TcpConnection | undefined>(poolSize).fill(undefined);
    this.contentType = (options.encoding ?? "msgpack") === "msgpack" ? ContentType.MSGPACK : ContentType.JSON;
    this.maxPayloadBytes = options.maxPayloadBytes ?? DEFAULT_MAX_PAYLOAD_BYTES;
  }

  async register(nodes: readonly JsonObject[], options: RegisterOptions = {}): Promise<RegisterResult> {
    return beava.registerResult(this.transport, await this.call(Op.REGISTER, beava.registerBody(nodes, options), ContentType.JSON));
  }

  async push(event: string, data: JsonObject, options: WorkspaceOption = {}): Promise<PushResult> {
    return beava.pushResult(this.transport, await this.call(Op.PUSH, beava.pushBody(event, data, options.workspace)));
  }

  async pushBatch(events: readonly PushEvent[], options: WorkspaceOption = {}): Promise<PushBatchResult> {
    return beava.pushBatchResult(this.transport, await this.call(Op.PUSH_BATCH, beava.pushBatchBody(events, options.workspace)));
  }

  async get(table: string, key: EntityKey, options: GetOptions = {}): Promise<FeatureRow> {
    return beava.getResult(this.transport, await this.call(Op.GET, beava.getBody(table, key, options.features, options.workspace)));
  }

  async batchGet(requests: readonly GetRequest[], options: WorkspaceOption = {}): Promise<BatchGetResult> {
    return beava.batchGetResult(this.transport, await this.call(Op.BATCH_GET, beava.batchGetBody(requests, options.workspace)));
  }

  async ping(): Promise<PingResult> {
    return beava.pingResult(this.transport, await this.call(Op.PING, undefined));
  }

  async reset(options: WorkspaceOption = {}): Promise<ResetResult> {
    return beava.resetResult(this.transport, await this.call(Op.RESET, beava.resetBody(options.workspace)));
  }

  async close(): Promise<void> {
    this.closed = true;
    for (const c of this.slots) c?.close("the client was closed");
    this.slots.fill(undefined);
  }

  /** One request and its decoded reply; an error frame throws the server's error. `body` undefined sends no payload. */
  private call(op: number, body: unknown, contentType = this.contentType): Promise<unknown> {
    if (this.closed) return Promise.reject(new TesseraClientError("unavailable", "the client is closed", { transport: this.transport }));
    const payload = body === undefined ? EMPTY : encode(contentType, body);
    if (payload.length > this.maxPayloadBytes) {
      const message = `request payload of ${payload.length} bytes exceeds the limit of ${this.maxPayloadBytes}; not sent`;
      return Promise.reject(
        new TesseraClientError("frame_too_large", message, { transport: this.transport, details: { limit: this.maxPayloadBytes, declared: payload.length } }),
      );
    }
    const expected = operationOf(op)!.replyOp;
    return this.connection().request(op, contentType, payload, (replyOp, replyType, replyPayload) => {
      const reply = decode(replyType, replyPayload);
      if (replyOp === Op.ERROR_RESPONSE) throw errorFromBeavaBody(reply, { transport: this.transport });
      if (replyOp !== expected) {
        throw new TesseraClientError("internal_error", `reply op 0x${replyOp.toString(16)} does not answer op 0x${op.toString(16)}`, {
          transport: this.transport,
          details: { body: reply },
        });
      }
      return reply;
    });
  }

  private connection(): TcpConnection {
    const i = this.next;
    this.next = (i + 1) % this.slots.length;
    const existing = this.slots[i];
    if (existing !== undefined && !existing.closed) return existing;
    const c = new TcpConnection({ host: this.options.host, port: this.options.port, timeoutMs: this.options.timeoutMs ?? DEFAULT_TIMEOUT_MS });
    if (this.options.apiKey !== undefined) {
      // Requests pipelined behind AUTH are answered after it: a rejected key surfaces as their
      // `unauthenticated`, and a lost connection as their `unavailable`, so this reply needs no reader.
      c.request(Op.AUTH, ContentType.JSON, encode(ContentType.JSON, { api_key: this.options.apiKey }), () => undefined).catch(() => undefined);
    }
    this.slots[i] = c;
    return c;
  }
}

function decode(contentType: number, payload: Buffer): unknown {
  try {
    return decodePayload(contentType, payload);
  } catch (e) {
    throw new TesseraClientError("internal_error", `unreadable reply payload: ${(e as Error).message}`, { transport: "tcp", cause: e });
  }
}

function encode(contentType: number, body: unknown): Uint8Array {
  return contentType === ContentType.MSGPACK ? packr.pack(body) : Buffer.from(JSON.stringify(body), "utf8");
}
