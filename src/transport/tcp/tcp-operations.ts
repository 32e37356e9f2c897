import type { Caller } from "../../auth/caller.ts";
import { TesseraError } from "../../errors/tessera-error.ts";
import type { DataPlane, PushReply } from "../../service/data-plane.ts";
import { DEFAULT_WORKSPACE } from "../../service/request-shapes.ts";
import { decodeJsonBody } from "../json-body.ts";
import { ContentType, hexContentType, hexOp, Op } from "./opcodes.ts";
import { decodePayload } from "./payload-codec.ts";

/**
 * The request opcodes of the TCP wire and the service call behind each (DESIGN §5 over
 * beava-behaviour.md §6). Validation and error codes are the DataPlane's, so a TCP payload is answered
 * with the same body as the same JSON on the HTTP route.
 *
 * Where the notes are silent:
 * - Reply content type: a msgpack request gets a msgpack reply for every operation (beava does so for
 *   GET), except BATCH_GET, which beava always answers in JSON; error frames are always JSON.
 * - Checks run opcode first (unknown_op, op_not_implemented), then content type, then payload.
 * - OP_AUTH (`{"api_key"}`) is handled by the connection, which keeps the Caller it authenticates
 *   for every later frame (tcp-connection.ts); it answers `{"authenticated":true,"principal":
 *   {"principal_type","id"}}`. With auth off it answers `{"authenticated":false,"auth":"off"}`
 *   without reading the payload, so a client configured with a key works against such a server.
 * - RESET with an empty payload resets every workspace, like an empty POST /reset.
 */

export interface TcpOperation {
  /** Request opcode. */
  readonly op: number;
  /** Route label in metrics. */
  readonly name: string;
  /** Opcode of the success reply. */
  readonly replyOp: number;
  /** `any`: the content type byte is not looked at (PING); `json`: JSON only (REGISTER). */
  readonly accepts: "any" | "json" | "json_or_msgpack";
  /**
   * `request`: msgpack requests get msgpack replies and every other content type JSON; `json`: JSON
   * whatever the request (beava's BATCH_GET). Error frames are always JSON.
   */
  readonly replies: "request" | "json";
  /** JSON encoder of the success reply when JSON.stringify is not fast enough (the push ack). */
  readonly toJson?: (value: any) => string;
  /** The service call, as `caller`; a promise or a DurableReply when the reply must wait for durability. */
  call(plane: DataPlane, payload: Buffer, contentType: number, caller: Caller | undefined): unknown;
}

/** With auth off there is no credential to check, so the key is not read. */
export const AUTH_OFF_REPLY = Object.freeze({ authenticated: false, auth: "off" });

const operations: TcpOperation[] = [
  { op: Op.PING, name: "ping", replyOp: Op.PING, accepts: "any", replies: "request", call: (plane, _p, _ct, caller) => plane.ping(caller) },
  {
    op: Op.REGISTER,
    name: "register",
    replyOp: Op.REGISTER,
    accepts: "json",
    replies: "request",
    call: (plane, payload, _ct, caller) => plane.register(registerBody(plane, payload), caller),
  },
  // Answered by the connection itself (it holds the caller); never called.
  { op: Op.AUTH, name: "auth", replyOp: Op.AUTH, accepts: "json_or_msgpack", replies: "request", call: () => AUTH_OFF_REPLY },
  {
    op: Op.PUSH,
    name: "push",
    replyOp: Op.PUSH,
    accepts: "json_or_msgpack",
    replies: "request",
    toJson: (r: PushReply) => `{"ack_lsn":${r.ack_lsn},"idempotent_replay":${r.idempotent_replay},"registry_version":${r.registry_version}}`,
    // Deferred rather than a promise per push: the connection waits once per group commit.
    call: (plane, payload, ct, caller) => plane.pushDeferred(decodePayload(ct, payload), caller),
  },
  {
    op: Op.PUSH_SYNC,
    name: "push_sync",
    replyOp: Op.PUSH_SYNC,
    accepts: "any",
    replies: "request",
    call: () => {
      const message = `opcode ${hexOp(Op.PUSH_SYNC)} (PUSH_SYNC) is not implemented by this server: PUSH acknowledges under the server's --fsync policy`;
      throw new TesseraError("op_not_implemented", message, { op: Op.PUSH_SYNC });
    },
  },
  {
    op: Op.PUSH_BATCH,
    name: "push_batch",
    replyOp: Op.PUSH_BATCH,
    accepts: "json_or_msgpack",
    replies: "request",
    call: (plane, payload, ct, caller) => plane.pushBatch(decodePayload(ct, payload), caller),
  },
  {
    op: Op.GET,
    name: "get",
    replyOp: Op.GET_RESPONSE,
    accepts: "json_or_msgpack",
    replies: "request",
    call: (plane, payload, ct, caller) => plane.get(decodePayload(ct, payload), caller),
  },
  {
    op: Op.BATCH_GET,
    name: "batch_get",
    replyOp: Op.GET_RESPONSE,
    accepts: "json_or_msgpack",
    replies: "json",
    call: (plane, payload, ct, caller) => plane.batchGet(decodePayload(ct, payload), caller),
  },
  {
    op: Op.RESET,
    name: "reset",
    replyOp: Op.GET_RESPONSE,
    accepts: "json_or_msgpack",
    replies: "request",
    // An empty payload resets every workspace, as an empty POST /reset does.
    call: (plane, payload, ct, caller) => plane.reset(payload.length === 0 ? undefined : decodePayload(ct, payload), caller),
  },
];

const BY_OPCODE: ReadonlyMap<number, TcpOperation> = new Map(operations.map((o) => [o.op, o]));

/** The operation of a request opcode; undefined for an opcode this server does not recognise. */
export function operationOf(op: number): TcpOperation | undefined {
  return BY_OPCODE.get(op);
}

export function unknownOp(op: number): TesseraError {
  return new TesseraError("unknown_op", `opcode ${hexOp(op)} is not recognised by this server`, { op });
}

/** Throws unsupported_content_type unless `operation` accepts `contentType`. */
export function checkContentType(operation: TcpOperation, contentType: number): void {
  if (operation.accepts === "any") return;
  if (contentType === ContentType.JSON || (contentType === ContentType.MSGPACK && operation.accepts === "json_or_msgpack")) return;
  const only = operation.accepts === "json" ? ` (${operation.name} accepts JSON, 0x01, only)` : "";
  throw new TesseraError("unsupported_content_type", `unsupported content_type: ${hexContentType(contentType)}${only}`);
}

/** beava §1.5 step 2 (as on POST /register): a body that is not JSON is an invalid registration at `<body>`. */
function registerBody(plane: DataPlane, payload: Buffer): unknown {
  try {
    return decodeJsonBody(payload);
  } catch (e) {
    const reason = (e as TesseraError).message;
    throw new TesseraError("invalid_registration", reason, { path: "<body>", reason, registry_version: plane.registryVersion(DEFAULT_WORKSPACE) });
  }
}
