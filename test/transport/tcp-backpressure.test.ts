import assert from "node:assert/strict";
import { once } from "node:events";
import { connect } from "node:net";
import { after, before, test } from "node:test";
import { spawnServer, type SpawnedServer } from "../helpers/spawn-server.ts";
import { frame, JSON_CT, OP } from "../helpers/tcp-frames.ts";

/** The server's default: reading pauses while a connection holds this many reply bytes. */
const REPLY_HIGH_WATER_MARK = 256 * 1024;

let server: SpawnedServer;
before(async () => {
  server = await spawnServer();
});
after(async () => {
  await server.stop();
});

interface TcpGauges {
  paused: number;
  held: number;
  pings: number;
}

async function gauges(): Promise<TcpGauges> {
  const text = await (await fetch(`${server.adminUrl}/metrics`)).text();
  const value = (pattern: RegExp): number => Number(pattern.exec(text)?.[1] ?? 0);
  return {
    paused: value(/^tessera_tcp_paused_connections (\d+)$/m),
    held: value(/^tessera_tcp_held_reply_bytes (\d+)$/m),
    pings: value(/^tessera_requests_total\{route="ping",protocol="tcp",code="ok"\} (\d+)$/m),
  };
}

test("a client that never reads its replies stops the server reading; reading again resumes it in order", { timeout: 120_000 }, async () => {
  const socket = connect({ ...server.tcp!, noDelay: true });
  await once(socket, "connect");
  // The client does not read: its receive buffer, then the server's send buffer, fill with replies.
  socket.pause();

  // Each 7-byte ping is answered with ~66 bytes, so the replies to all of them would hold ~26 MB in
  // the server if it kept reading.
  const n = 400_000;
  const ping = frame(OP.PING, JSON_CT);
  const pings = Buffer.alloc(ping.length * n);
  for (let i = 0; i < n; i++) ping.copy(pings, i * ping.length);
  socket.write(pings);

  // Wait until the server reports that it stopped reading this connection. A server without flow
  // control would instead answer every ping and keep the replies.
  let g = await gauges();
  while (g.paused === 0) {
    assert.ok(g.pings < n, "the server answered every ping without ever pausing");
    assert.ok(g.held <= REPLY_HIGH_WATER_MARK + 1024, `held ${g.held} reply bytes`);
    g = await gauges();
  }
  assert.equal(g.paused, 1);
  assert.ok(g.held >= REPLY_HIGH_WATER_MARK, `paused while holding only ${g.held} bytes`);
  assert.ok(g.held <= REPLY_HIGH_WATER_MARK + 1024, `held ${g.held} reply bytes`);
  assert.ok(g.pings < n / 2, `answered ${g.pings} pings before pausing`);
  // Paused means paused: nothing more is read or answered while the client does not read.
  const again = await gauges();
  assert.deepEqual(again, g);
  assert.ok(socket.writableLength > 0 || g.pings < n, "the client's pings are not all consumed");

  // The client reads again: every ping is answered, in order, then a final request after them.
  const unknown = frame(0x4242, JSON_CT, {});
  socket.write(unknown);
  let buffered: Buffer = Buffer.alloc(0);
  let replies = 0;
  let pongs = 0;
  let lastOp = -1;
  await new Promise<void>((resolve, reject) => {
    socket.on("data", (chunk: Buffer) => {
      buffered = buffered.length === 0 ? chunk : Buffer.concat([buffered, chunk]);
      let at = 0;
      while (buffered.length - at >= 4) {
        const length = buffered.readUInt32BE(at);
        if (buffered.length - at < 4 + length) break;
        lastOp = buffered.readUInt16BE(at + 4);
        if (lastOp === OP.PING) pongs++;
        replies++;
        at += 4 + length;
      }
      buffered = buffered.subarray(at);
      if (replies === n + 1) resolve();
    });
    socket.once("close", () => reject(new Error(`closed after ${replies} replies`)));
    socket.resume();
  });
  assert.equal(pongs, n);
  assert.equal(lastOp, OP.ERROR, "the request written last is answered last");

  const after = await gauges();
  assert.equal(after.paused, 0);
  assert.equal(after.held, 0);
  socket.destroy();
});
