import { isUtf8 } from "node:buffer";
import { TesseraError } from "../../errors/tessera-error.ts";

/**
 * msgpack can carry values that JSON cannot (binary, extension types such as timestamps, maps with
 * non-string keys, NaN), and msgpackr turns them into Buffers, Dates, Maps, stringified keys or
 * Sets — or silently rewrites them — with no option to refuse. A frame payload must be JSON data, so
 * the bytes are walked once before decoding, without allocating, and anything else is rejected with
 * the code a malformed JSON body gets.
 */

/**
 * Deepest nesting accepted. msgpackr decodes recursively, so much deeper input would end in a stack
 * overflow instead of a clear error.
 */
const MAX_MSGPACK_DEPTH = 1000;

// Per open container: values still to read, and whether it is a map (whose keys are the values read
// while the count is even). Reused across calls: the walk is synchronous.
const remaining: number[] = [];
const isMap: boolean[] = [];

/** Throws invalid_json_body unless `bytes` is exactly one msgpack value made only of JSON data. */
export function checkMsgpackJsonData(bytes: Buffer): void {
  const end = bytes.length;
  let at = 0;
  let depth = 0;
  remaining[0] = 1;
  isMap[0] = false;
  while (depth >= 0) {
    const left = remaining[depth]!;
    if (left === 0) {
      depth--;
      continue;
    }
    remaining[depth] = left - 1;
    if (at >= end) throw malformed("the value is truncated");
    const b = bytes[at++]!;
    if (isMap[depth] && left % 2 === 0 && !((b >= 0xa0 && b <= 0xbf) || (b >= 0xd9 && b <= 0xdb))) {
      throw notJson(`map keys must be strings (found type byte 0x${b.toString(16)})`);
    }
    // positive and negative fixint
    if (b <= 0x7f || b >= 0xe0) continue;
    let count = -1;
    let map = false;
    let strBytes = -1;
    if (b <= 0x8f) {
      count = b & 0x0f;
      map = true;
    } else if (b <= 0x9f) count = b & 0x0f;
    else if (b <= 0xbf) strBytes = b & 0x1f;
    else {
      switch (b) {
        case 0xc0: // nil
        case 0xc2: // false
        case 0xc3: // true
          break;
        case 0xca:
          need(bytes, at, 4);
          if (!Number.isFinite(bytes.readFloatBE(at))) throw notJson("NaN and Infinity are not JSON numbers");
          at += 4;
          break;
        case 0xcb:
          need(bytes, at, 8);
          if (!Number.isFinite(bytes.readDoubleBE(at))) throw notJson("NaN and Infinity are not JSON numbers");
          at += 8;
          break;
        case 0xcc: // uint8
        case 0xd0: // int8
          at += 1;
          break;
        case 0xcd:
        case 0xd1:
          at += 2;
          break;
        case 0xce:
        case 0xd2:
          at += 4;
          break;
        case 0xcf:
        case 0xd3:
          at += 8;
          break;
        case 0xd9:
          need(bytes, at, 1);
          strBytes = bytes[at]!;
          at += 1;
          break;
        case 0xda:
          need(bytes, at, 2);
          strBytes = bytes.readUInt16BE(at);
          at += 2;
          break;
        case 0xdb:
          need(bytes, at, 4);
          strBytes = bytes.readUInt32BE(at);
          at += 4;
          break;
        case 0xdc:
          need(bytes, at, 2);
          count = bytes.readUInt16BE(at);
          at += 2;
          break;
        case 0xdd:
          need(bytes, at, 4);
          count = bytes.readUInt32BE(at);
          at += 4;
          break;
        case 0xde:
          need(bytes, at, 2);
          count = bytes.readUInt16BE(at);
          map = true;
          at += 2;
          break;
        case 0xdf:
          need(bytes, at, 4);
          count = bytes.readUInt32BE(at);
          map = true;
          at += 4;
          break;
        case 0xc4:
        case 0xc5:
        case 0xc6:
          throw notJson("binary values are not JSON data");
        case 0xc7:
        case 0xc8:
        case 0xc9:
        case 0xd4:
        case 0xd5:
        case 0xd6:
        case 0xd7:
        case 0xd8:
          throw notJson("extension types (timestamps and others) are not JSON data");
        default: // 0xc1, which msgpack never uses
          throw malformed(`0x${b.toString(16)} is not a msgpack type byte`);
      }
      if (at > end) throw malformed("the value is truncated");
    }
    if (strBytes >= 0) {
      need(bytes, at, strBytes);
      const stop = at + strBytes;
      for (let i = at; i < stop; i++) {
        if (bytes[i]! >= 0x80) {
          if (!isUtf8(bytes.subarray(at, stop))) throw notJson("a string is not valid UTF-8");
          break;
        }
      }
      at = stop;
    } else if (count > 0) {
      const values = map ? count * 2 : count;
      // Every value takes at least one byte, so a count beyond the bytes left is a truncation.
      if (values > end - at) throw malformed("the value is truncated");
      if (++depth >= MAX_MSGPACK_DEPTH) throw notJson(`nesting deeper than ${MAX_MSGPACK_DEPTH} levels`);
      remaining[depth] = values;
      isMap[depth] = map;
    }
  }
  if (at !== end) throw malformed(`${end - at} bytes follow the value`);
}

function need(bytes: Buffer, at: number, n: number): void {
  if (at + n > bytes.length) throw malformed("the value is truncated");
}

function malformed(why: string): TesseraError {
  return new TesseraError("invalid_json_body", `invalid_json_body: malformed msgpack: ${why}`);
}

function notJson(why: string): TesseraError {
  return new TesseraError("invalid_json_body", `invalid_json_body: the msgpack payload is not JSON data: ${why}`);
}
