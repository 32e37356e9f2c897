/**
 * The framed-TCP baseline: the least work a node server can do to answer Tessera's TCP frames while
 * doing the same transport work. Run as a child by bare-frame-echo.ts (directly only for debugging).
 *
 * Per connection it splits the byte stream into `[u32 len BE][u16 op BE][u8 ct][payload]` frames,
 * decodes every payload as the real server must (msgpackr `unpack` for ct 0x02, JSON.parse for ct
 * 0x01; PING payloads are ignored) and answers each frame, in order, with a fixed small frame: the
 * request's success op (GET → 0x0023, others echo their op) and content type, and a payload of
 * `{"ack_lsn":1,"idempotent_replay":false,"registry_version":1}` in that content type. Replies to the
 * frames of one read are corked into one write, as any pipelining server does.
 *
 * Ready line: `frame-echo ready tcp=HOST:PORT`.
 */
import { createServer, type AddressInfo, type Socket } from "node:net";
import { pack, unpack } from "msgpackr";
import { CT_JSON, CT_MSGPACK, encodeFrame, HEADER_BYTES, OP_PING, replyOpFor } from "./frames.ts";

const host = process.env["BENCH_ECHO_HOST"] ?? "127.0.0.1";
const REPLY = { ack_lsn: 1, idempotent_replay: false, registry_version: 1 };
const replyPayload: Record<number, Buffer> = {
  [CT_JSON]: Buffer.from(JSON.stringify(REPLY)),
  [CT_MSGPACK]: pack(REPLY),
};
/** Reply frames by (op << 8 | ct), built on first use. */
const replies = new Map<number, Buffer>();

function replyFor(op: number, ct: number): Buffer {
  const id = (op << 8) | ct;
  let r = replies.get(id);
  if (r === undefined) {
    r = encodeFrame(replyOpFor(op), ct, replyPayload[ct] ?? replyPayload[CT_JSON]!);
    replies.set(id, r);
  }
  return r;
}

/** Keeps decoded payloads reachable so the decode cannot be optimised away. */
let sink: unknown;

function serve(socket: Socket): void {
  socket.setNoDelay(true);
  let pending: Buffer | null = null;
  socket.on("data", (chunk: Buffer) => {
    const buf = pending === null ? chunk : Buffer.concat([pending, chunk]);
    let at = 0;
    socket.cork();
    while (buf.length - at >= HEADER_BYTES) {
      const len = buf.readUInt32BE(at);
      if (len < 3) {
        socket.destroy();
        return;
      }
      if (buf.length - at < 4 + len) break;
      const op = buf.readUInt16BE(at + 4);
      const ct = buf[at + 6] as number;
      if (op !== OP_PING) {
        const payload = buf.subarray(at + HEADER_BYTES, at + 4 + len);
        sink = ct === CT_MSGPACK ? unpack(payload) : JSON.parse(payload.toString("utf8"));
      }
      socket.write(replyFor(op, ct));
      at += 4 + len;
    }
    socket.uncork();
    pending = at < buf.length ? buf.subarray(at) : null;
  });
  socket.on("error", () => socket.destroy());
}

const server = createServer(serve);
server.listen(0, host, () => {
  const a = server.address() as AddressInfo;
  process.stdout.write(`frame-echo ready tcp=${a.address.includes(":") ? `[${a.address}]` : a.address}:${a.port}\n`);
});
process.on("SIGTERM", () => process.exit(sink === Symbol() ? 1 : 0));
