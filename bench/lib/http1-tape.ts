/**
 * Raw HTTP/1.1 requests pre-encoded back to back (a "tape"), for the out-of-process load generator
 * (tcp-load.ts with `protocol: "http1"`): it sends each request as a subarray of the tape and only
 * frames the responses (status line, Content-Length), so a request costs the client next to nothing
 * and the server, not node's HTTP client, sets the pace.
 */

const CRLF2 = Buffer.from("\r\n\r\n");
const CONTENT_LENGTH = /\r\ncontent-length:[ \t]*(\d+)/i;

/** One request per body (or one without a body), each with Host, the given headers and Content-Length. */
export function buildHttp1Tape(
  method: string,
  path: string,
  host: string,
  headers: Readonly<Record<string, string>>,
  bodies: readonly Buffer[],
): Buffer {
  const extra = Object.entries(headers)
    .map(([k, v]) => `${k}: ${v}\r\n`)
    .join("");
  const parts: Buffer[] = [];
  for (const body of bodies.length === 0 ? [Buffer.alloc(0)] : bodies) {
    parts.push(Buffer.from(`${method} ${path} HTTP/1.1\r\nhost: ${host}\r\n${extra}content-length: ${body.length}\r\n\r\n`, "latin1"), body);
  }
  return Buffer.concat(parts);
}

/** Byte offset of every request in an HTTP/1.1 tape, plus the tape length (n + 1 entries). */
export function http1TapeOffsets(tape: Buffer): Uint32Array {
  const starts: number[] = [];
  let at = 0;
  while (at < tape.length) {
    starts.push(at);
    const end = tape.indexOf(CRLF2, at);
    if (end < 0) throw new Error(`HTTP tape: request at byte ${at} has no end of headers`);
    const m = CONTENT_LENGTH.exec(tape.toString("latin1", at, end + 2));
    at = end + 4 + (m === null ? 0 : Number(m[1]));
  }
  if (at !== tape.length) throw new Error("HTTP tape: the last request overruns the tape");
  return Uint32Array.from([...starts, at]);
}

/**
 * Parses a response head (status line and headers, without the blank line): status and body length.
 * Bodies must be Content-Length delimited; chunked responses are reported as length -1.
 */
export function parseResponseHead(head: string): { status: number; length: number } {
  const status = Number(head.slice(9, 12));
  const m = CONTENT_LENGTH.exec(head);
  return { status, length: m === null ? (/\r\ntransfer-encoding:/i.test(head) ? -1 : 0) : Number(m[1]) };
}
