/**
 * Numbers of the framed TCP wire (DESIGN §5, beava-behaviour.md §6). A frame is
 * `[u32 length BE][u16 op BE][u8 content type][payload]` with length = 3 + payload bytes.
 */

export const Op = {
  PING: 0x0000,
  REGISTER: 0x0001,
  AUTH: 0x0002,
  PUSH: 0x0010,
  PUSH_SYNC: 0x0011,
  PUSH_BATCH: 0x0012,
  GET: 0x0020,
  /** Reply op of GET, BATCH_GET and RESET; never a request. */
  GET_RESPONSE: 0x0023,
  BATCH_GET: 0x0024,
  RESET: 0x0040,
  /** Reply op of every error; never a request. */
  ERROR_RESPONSE: 0xffff,
} as const;

export const ContentType = {
  JSON: 0x01,
  MSGPACK: 0x02,
} as const;

/** Bytes before the payload: length (4), op (2), content type (1). */
export const HEADER_BYTES = 7;

/** The length field counts the op and content type bytes, so an empty payload has length 3. */
export const MIN_FRAME_LENGTH = 3;

/** `0x4242`, as the error messages write opcodes. */
export function hexOp(op: number): string {
  return `0x${op.toString(16).padStart(4, "0")}`;
}

/** `0x07`, as the error messages write content types. */
export function hexContentType(ct: number): string {
  return `0x${ct.toString(16).padStart(2, "0")}`;
}
