import { Packr, Unpackr } from "msgpackr";
import type { Row } from "../engine/index.ts";
import type { Command, PushCommandRecord } from "../service/commands.ts";

/**
 * How a command is stored in a log record: a format byte (0: MessagePack, the only format so far),
 * then the command encoded as msgpackr encodes it.
 *
 * MessagePack rather than JSON: a typical push is about 40% smaller and encodes and decodes faster,
 * and it keeps NaN and ±Infinity, which a msgpack TCP client can send and JSON would turn into null;
 * a replay must see exactly what the live apply saw. A push, by far the most common command, is
 * stored as the tuple [workspace, event, data], which saves its four key names; every other command
 * is stored as its object, so a new command type needs no change here.
 *
 * Pushes are written and read by hand (writePush, readPush): msgpackr's per-call set-up, its output
 * Buffer and the copy into the write batch cost more than encoding three strings and a flat row
 * (bench/durability/README.md). The hand-written writer produces exactly msgpackr's bytes (a
 * property test holds it to that), so the format and every older record are unchanged; anything it
 * does not handle (nested values, other commands) goes through msgpackr. The reader likewise takes
 * only what it can decode exactly as msgpackr would (ASCII strings, nil, booleans, integers,
 * float64) and hands every other record to msgpackr.
 *
 * msgpackr renames a "__proto__" key when it builds an object. Records whose bytes contain
 * "__proto__" are therefore decoded with maps as Maps and converted with define semantics, which
 * keeps it an ordinary key as JSON.parse does (readPush defines such a key itself). The test runs at
 * decode time (recovery), not on the append path; a string value "__proto__" merely takes the
 * slower, equally exact path.
 * Known loss: -0 is stored as 0 (msgpackr writes it as an integer); every JSON wire prints both as 0.
 */

/** The format byte written in front of every encoded command. */
export const MSGPACK_FORMAT = 0;

/** Where a record is encoded: a buffer that may have to grow while the record is written. */
export interface RecordSink {
  bytes: Buffer;
  /** Makes `bytes` at least `size` long, keeping its first `keep` bytes; returns the new `bytes`. */
  grow(size: number, keep: number): Buffer;
}

// msgpackr's records (shared structures) would make a record depend on earlier ones; each must stand alone.
const packr = new Packr({ useRecords: false, variableMapSize: true });
const objectUnpackr = new Unpackr({ useRecords: false });
const mapUnpackr = new Unpackr({ useRecords: false, mapsAsObjects: false });
const PROTO_KEY = Buffer.from("__proto__");

// --- encoding -----------------------------------------------------------------------------------

// The record being written: writeCommand sets these, the writers below advance `pos`.
let sink: RecordSink;
let out: Buffer;
let pos = 0;

/**
 * Writes the format byte and the encoded command at `at` in `target.bytes` (grown as needed) and
 * returns the offset after them. Bytes past `at` are scratch until the caller accounts for them, so
 * a command that throws here leaves nothing behind.
 */
export function writeCommand(command: Command, target: RecordSink, at: number): number {
  sink = target;
  out = target.bytes;
  pos = at;
  room(1);
  out[pos++] = MSGPACK_FORMAT;
  // The tuple holds every field of a push; a field added to PushCommandRecord must be added here
  // and in readPush.
  if (command.type === "push") {
    const data: unknown = command.data;
    if (typeof data === "object" && data !== null && Object.getPrototypeOf(data) === Object.prototype) writePush(command);
    else writePacked([command.workspace, command.event, command.data]);
  } else writePacked(command);
  const end = pos;
  // The batch buffer may be dropped after a burst; this module must not keep it alive.
  out = EMPTY;
  return end;
}

const EMPTY = Buffer.alloc(0);

/** RecordSink.grow for a sink that owns its buffer: a new one, at least twice as large. */
export function growSink(sink: RecordSink, size: number, keep: number): Buffer {
  const grown = Buffer.allocUnsafe(Math.max(size, 2 * sink.bytes.length));
  sink.bytes.copy(grown, 0, 0, keep);
  sink.bytes = grown;
  return grown;
}

const scratch: RecordSink = {
  bytes: Buffer.allocUnsafe(1024),
  grow(size: number, keep: number): Buffer {
    return growSink(this, size, keep);
  },
};

/** The encoded command, without the format byte; valid only until the next call. */
export function encodeCommand(command: Command): Buffer {
  const end = writeCommand(command, scratch, 0);
  return scratch.bytes.subarray(1, end);
}

function room(n: number): void {
  if (pos + n > out.length) out = sink.grow(pos + n, pos);
}

function writePush(command: PushCommandRecord): void {
  room(1);
  out[pos++] = 0x93;
  writeString(command.workspace);
  writeString(command.event);
  const row = command.data;
  room(1);
  const header = pos++;
  let n = 0;
  // for-in walks a plain object's own keys in Object.keys order, which is what msgpackr writes,
  // without allocating the key array.
  for (const key in row) {
    writeString(key);
    writeValue(row[key]);
    n++;
  }
  if (n < 0x10) {
    out[header] = 0x80 | n;
    return;
  }
  // The count did not fit the one byte left for it: make room for a map16 or map32 header.
  const extra = n < 0x10000 ? 2 : 4;
  room(extra);
  out.copyWithin(header + 1 + extra, header + 1, pos);
  pos += extra;
  if (extra === 2) {
    out[header] = 0xde;
    out.writeUInt16BE(n, header + 1);
  } else {
    out[header] = 0xdf;
    out.writeUInt32BE(n, header + 1);
  }
}

function writeValue(value: unknown): void {
  switch (typeof value) {
    case "string":
      writeString(value);
      return;
    case "number":
      writeNumber(value);
      return;
    case "boolean":
      room(1);
      out[pos++] = value ? 0xc3 : 0xc2;
      return;
    case "object":
      if (value === null) {
        room(1);
        out[pos++] = 0xc0;
        return;
      }
  }
  writePacked(value);
}

/** Anything the hand-written writers do not cover, as msgpackr writes it. */
function writePacked(value: unknown): void {
  const packed = packr.pack(value);
  room(packed.length);
  out.set(packed, pos);
  pos += packed.length;
}

/** As msgpackr: the header sized by the UTF-8 length; short strings encoded in JS, long ones natively. */
function writeString(s: string): void {
  const chars = s.length;
  const headerGuess = chars < 0x20 ? 1 : chars < 0x100 ? 2 : chars < 0x10000 ? 3 : 5;
  room(headerGuess + 3 * chars);
  const start = pos + headerGuess;
  let bytes: number;
  if (chars < 0x40) {
    let p = start;
    for (let i = 0; i < chars; i++) {
      let c = s.charCodeAt(i);
      if (c < 0x80) out[p++] = c;
      else if (c < 0x800) {
        out[p++] = (c >> 6) | 0xc0;
        out[p++] = (c & 0x3f) | 0x80;
      } else if ((c & 0xfc00) === 0xd800 && (s.charCodeAt(i + 1) & 0xfc00) === 0xdc00) {
        c = 0x10000 + ((c & 0x03ff) << 10) + (s.charCodeAt(++i) & 0x03ff);
        out[p++] = (c >> 18) | 0xf0;
        out[p++] = ((c >> 12) & 0x3f) | 0x80;
        out[p++] = ((c >> 6) & 0x3f) | 0x80;
        out[p++] = (c & 0x3f) | 0x80;
      } else {
        // Lone surrogates included, as msgpackr writes them.
        out[p++] = (c >> 12) | 0xe0;
        out[p++] = ((c >> 6) & 0x3f) | 0x80;
        out[p++] = (c & 0x3f) | 0x80;
      }
    }
    bytes = p - start;
  } else {
    bytes = out.write(s, start, "utf8");
  }
  const header = bytes < 0x20 ? 1 : bytes < 0x100 ? 2 : bytes < 0x10000 ? 3 : 5;
  if (header !== headerGuess) out.copyWithin(pos + header, start, start + bytes);
  if (header === 1) out[pos] = 0xa0 | bytes;
  else if (header === 2) {
    out[pos] = 0xd9;
    out[pos + 1] = bytes;
  } else if (header === 3) {
    out[pos] = 0xda;
    out.writeUInt16BE(bytes, pos + 1);
  } else {
    out[pos] = 0xdb;
    out.writeUInt32BE(bytes, pos + 1);
  }
  pos += header + bytes;
}

/** As msgpackr without records: the smallest integer type for 32-bit integers, float64 for the rest. */
function writeNumber(v: number): void {
  room(9);
  if (v >>> 0 === v) {
    if (v < 0x80) out[pos++] = v;
    else if (v < 0x100) {
      out[pos++] = 0xcc;
      out[pos++] = v;
    } else if (v < 0x10000) {
      out[pos++] = 0xcd;
      out[pos++] = v >> 8;
      out[pos++] = v & 0xff;
    } else {
      out[pos++] = 0xce;
      out.writeUInt32BE(v, pos);
      pos += 4;
    }
  } else if (v >> 0 === v) {
    if (v >= -0x20) out[pos++] = 0x100 + v;
    else if (v >= -0x80) {
      out[pos++] = 0xd0;
      out[pos++] = v + 0x100;
    } else if (v >= -0x8000) {
      out[pos++] = 0xd1;
      out.writeInt16BE(v, pos);
      pos += 2;
    } else {
      out[pos++] = 0xd2;
      out.writeInt32BE(v, pos);
      pos += 4;
    }
  } else {
    out[pos++] = 0xcb;
    out.writeDoubleBE(v, pos);
    pos += 8;
  }
}

// --- decoding -----------------------------------------------------------------------------------

/** Decodes the command stored in bytes[start, end), format byte first; throws on bytes that are not one. */
export function decodeCommand(bytes: Buffer, start: number, end: number): Command {
  if (bytes[start] !== MSGPACK_FORMAT) throw new Error(`unknown command format ${bytes[start]}`);
  if (bytes[start + 1] === 0x93) {
    const push = readPush(bytes, start + 2, end);
    if (push !== undefined) return push;
  }
  const range = { start: start + 1, end };
  const value: unknown =
    bytes.subarray(range.start, end).indexOf(PROTO_KEY) === -1 ? objectUnpackr.unpack(bytes, range) : withDefinedKeys(mapUnpackr.unpack(bytes, range));
  if (Array.isArray(value)) {
    const [workspace, event, data] = value as unknown[];
    if (value.length === 3 && typeof workspace === "string" && typeof event === "string" && isObject(data)) {
      return { type: "push", workspace, event, data: data as Row };
    }
  } else if (isObject(value) && typeof value["type"] === "string") {
    return value as unknown as Command;
  }
  throw new Error("the stored value is not a command");
}

function withDefinedKeys(value: unknown): unknown {
  if (value instanceof Map) return Object.fromEntries(Array.from(value, ([k, v]) => [k, withDefinedKeys(v)]));
  if (Array.isArray(value)) return value.map(withDefinedKeys);
  return value;
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

// The record being read by readPush.
let src: Buffer;
let at = 0;
let srcEnd = 0;

/** readValue's answer for a value it leaves to msgpackr. */
const NOT_HANDLED = Symbol("not handled");

/**
 * The push tuple after its array header, when it holds only what is decoded here exactly as
 * msgpackr decodes it; undefined otherwise (including any damage), for the generic path to decide.
 */
function readPush(bytes: Buffer, start: number, end: number): PushCommandRecord | undefined {
  src = bytes;
  at = start;
  srcEnd = end;
  const workspace = readKey();
  const event = readKey();
  if (workspace === undefined || event === undefined || at >= end) return undefined;
  const b = src[at++]!;
  let n: number;
  if ((b & 0xf0) === 0x80) n = b & 0x0f;
  else if (b === 0xde && at + 2 <= end) {
    n = src.readUInt16BE(at);
    at += 2;
  } else return undefined;
  const data: Row = {};
  for (let i = 0; i < n; i++) {
    const key = readKey();
    if (key === undefined) return undefined;
    const value = readValue();
    if (value === NOT_HANDLED) return undefined;
    // As JSON.parse: an own property, never the prototype.
    if (key === "__proto__") Object.defineProperty(data, key, { value, enumerable: true, writable: true, configurable: true });
    else data[key] = value as Row[string];
  }
  return at === end ? { type: "push", workspace, event, data } : undefined;
}

/**
 * Short ASCII strings that repeat (workspace, event and field names) are made once: a reused string
 * is already internalized, which a new one used as a property key is not.
 */
const KEY_CACHE_BITS = 10;
const keyCache: (string | undefined)[] = new Array(1 << KEY_CACHE_BITS).fill(undefined);
const MAX_CACHED_KEY = 32;

function readKey(): string | undefined {
  if (at >= srcEnd) return undefined;
  const length = readStringHeader();
  if (length < 0) return undefined;
  const from = strFrom;
  if (length > MAX_CACHED_KEY || from + length > srcEnd) return readAscii(from, length);
  let hash = length;
  for (let i = from; i < from + length; i++) hash = (Math.imul(hash, 31) + src[i]!) | 0;
  const slot = (hash ^ (hash >>> 16)) & ((1 << KEY_CACHE_BITS) - 1);
  const cached = keyCache[slot];
  if (cached !== undefined && cached.length === length && sameAscii(cached, from)) {
    at = from + length;
    return cached;
  }
  const s = readAscii(from, length);
  if (s !== undefined) keyCache[slot] = s;
  return s;
}

function sameAscii(s: string, from: number): boolean {
  for (let i = 0; i < s.length; i++) if (s.charCodeAt(i) !== src[from + i]) return false;
  return true;
}

/** A string of ASCII characters; undefined for any other type or a non-ASCII byte (msgpackr's UTF-8 handling decides those). */
function readString(): string | undefined {
  const length = readStringHeader();
  return length < 0 ? undefined : readAscii(strFrom, length);
}

/** Where the string whose header readStringHeader last parsed starts. */
let strFrom = 0;

/**
 * The length a fixstr, str8 or str16 header at `at` announces (its bytes start at strFrom); -1 for
 * any other type or a header cut off by the record's end.
 */
function readStringHeader(): number {
  const b = src[at]!;
  if ((b & 0xe0) === 0xa0) {
    strFrom = at + 1;
    return b & 0x1f;
  }
  if (b === 0xd9 && at + 2 <= srcEnd) {
    strFrom = at + 2;
    return src[at + 1]!;
  }
  if (b === 0xda && at + 3 <= srcEnd) {
    strFrom = at + 3;
    return src.readUInt16BE(at + 1);
  }
  return -1;
}

/** The `length` bytes at `from` as a string, past them; undefined when they run past the record or are not all ASCII. */
function readAscii(from: number, length: number): string | undefined {
  const to = from + length;
  if (to > srcEnd) return undefined;
  for (let i = from; i < to; i++) if (src[i]! >= 0x80) return undefined;
  at = to;
  return asciiString(from, to);
}

const fromCharCode = String.fromCharCode;

/** src[from, to) as a string: short ones without a native call, which costs more than they do. */
function asciiString(from: number, to: number): string {
  if (to - from > 32) return src.toString("latin1", from, to);
  let s = "";
  let i = from;
  for (; i + 4 <= to; i += 4) s += fromCharCode(src[i]!, src[i + 1]!, src[i + 2]!, src[i + 3]!);
  for (; i < to; i++) s += fromCharCode(src[i]!);
  return s;
}

function readValue(): unknown {
  if (at >= srcEnd) return NOT_HANDLED;
  const b = src[at]!;
  if (b < 0x80) {
    at++;
    return b;
  }
  if (b >= 0xe0) {
    at++;
    return b - 0x100;
  }
  // fixmap and fixarray
  if (b < 0xa0) return NOT_HANDLED;
  if (b < 0xc0 || b === 0xd9 || b === 0xda) return readString() ?? NOT_HANDLED;
  const need = FIXED_BYTES[b - 0xc0]!;
  if (need < 0 || at + 1 + need > srcEnd) return NOT_HANDLED;
  const v = at + 1;
  at = v + need;
  switch (b) {
    case 0xc0:
      return null;
    case 0xc2:
      return false;
    case 0xc3:
      return true;
    case 0xcb:
      return src.readDoubleBE(v);
    case 0xcc:
      return src[v]!;
    case 0xcd:
      return src.readUInt16BE(v);
    case 0xce:
      return src.readUInt32BE(v);
    case 0xd0:
      return src.readInt8(v);
    case 0xd1:
      return src.readInt16BE(v);
    default:
      return src.readInt32BE(v);
  }
}

/**
 * Bytes after the type byte for the types 0xc0..0xdf that readValue decodes itself; -1 for the
 * others (float32, 64-bit integers, str32, binary, extensions and containers), which are left to
 * msgpackr.
 */
const FIXED_BYTES: Int8Array = (() => {
  const t = new Int8Array(32).fill(-1);
  const fixed: [number, number][] = [
    [0xc0, 0],
    [0xc2, 0],
    [0xc3, 0],
    [0xcb, 8],
    [0xcc, 1],
    [0xcd, 2],
    [0xce, 4],
    [0xd0, 1],
    [0xd1, 2],
    [0xd2, 4],
  ];
  for (const [type, bytes] of fixed) t[type - 0xc0] = bytes;
  return t;
})();
