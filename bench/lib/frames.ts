/**
 * The framed TCP wire (DESIGN §5, beava §6) as the benches need it: building frames once, up front.
 * A frame is `[u32 length BE][u16 op BE][u8 content type][payload]`, where length = 3 + payload bytes.
 */

export const HEADER_BYTES = 7;

export const OP_PING = 0x0000;
export const OP_REGISTER = 0x0001;
export const OP_AUTH = 0x0002;
export const OP_PUSH = 0x0010;
export const OP_GET = 0x0020;
export const OP_GET_RESPONSE = 0x0023;
export const OP_ERROR = 0xffff;

export const CT_JSON = 0x01;
export const CT_MSGPACK = 0x02;

/** The success reply op for a request op (beava §6): GET and BATCH_GET answer 0x0023, others echo. */
export function replyOpFor(op: number): number {
  return op === OP_GET || op === 0x0024 || op === 0x0040 ? OP_GET_RESPONSE : op;
}

/** One frame around `payload`. */
export function encodeFrame(op: number, contentType: number, payload: Uint8Array): Buffer {
  const frame = Buffer.allocUnsafe(HEADER_BYTES + payload.length);
  frame.writeUInt32BE(3 + payload.length, 0);
  frame.writeUInt16BE(op, 4);
  frame.writeUInt8(contentType, 6);
  frame.set(payload, HEADER_BYTES);
  return frame;
}

/**
 * A "tape": many frames back to back in one buffer, so a load generator sends k frames as one
 * subarray (no per-frame allocation or copy) and cycles through the tape.
 */
export function buildTape(frames: readonly Uint8Array[]): Buffer {
  return Buffer.concat(frames);
}

/** Byte offset of every frame in a tape, plus the tape length at the end (n + 1 entries). */
export function tapeOffsets(tape: Buffer): Uint32Array {
  let n = 0;
  for (let at = 0; at < tape.length; at += 4 + tape.readUInt32BE(at)) n++;
  const offsets = new Uint32Array(n + 1);
  let at = 0;
  for (let i = 0; i < n; i++) {
    offsets[i] = at;
    at += 4 + tape.readUInt32BE(at);
  }
  if (at !== tape.length) throw new Error(`tape is not a whole number of frames (${at} != ${tape.length})`);
  offsets[n] = at;
  return offsets;
}
