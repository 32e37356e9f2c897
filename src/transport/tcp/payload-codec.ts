import { Packr, Unpackr } from "msgpackr";
import { TesseraError } from "../../errors/tessera-error.ts";
import { decodeJsonBody } from "../json-body.ts";
import { checkMsgpackJsonData } from "./msgpack-json-data.ts";
import { ContentType } from "./opcodes.ts";

/**
 * Frame payloads as JSON data, whichever content type carried them: the service layer sees the same
 * values for a JSON and a msgpack request, so both are validated alike.
 */

// Plain objects and numbers only: no records (a msgpackr extension other clients cannot read), and
// 64-bit integers as numbers (rounded beyond 2^53, as JSON.parse rounds them) rather than BigInts.
const unpackr = new Unpackr({ useRecords: false, mapsAsObjects: true, int64AsType: "number" });
// undefined would otherwise go out as msgpackr's extension 0, which other clients cannot read.
const packr = new Packr({ useRecords: false, encodeUndefinedAsNil: true });

/** The payload of a JSON (0x01) or msgpack (0x02) frame as JSON data; invalid_json_body otherwise. */
export function decodePayload(contentType: number, payload: Buffer): unknown {
  if (contentType !== ContentType.MSGPACK) return decodeJsonBody(payload);
  checkMsgpackJsonData(payload);
  try {
    return unpackr.unpack(payload);
  } catch (e) {
    throw new TesseraError("invalid_json_body", `invalid_json_body: malformed msgpack: ${(e as Error).message}`);
  }
}

/**
 * A reply value as msgpack. Integers beyond 32 bits are written as float64 (msgpackr has no int64 for
 * plain numbers), which holds them exactly up to 2^53 as JSON numbers do.
 */
export function encodeMsgpack(value: unknown): Uint8Array {
  return packr.pack(value);
}
