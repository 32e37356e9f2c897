/**
 * Bringing a Tessera server to the state the data-plane bench measures: which transports answer,
 * the 12-feature table registered, every entity preloaded. Shared by the bench and the profiler.
 */
import { once } from "node:events";
import { connect } from "node:net";
import { createClient } from "@connectrpc/connect";
import { createGrpcTransport } from "@connectrpc/connect-node";
import { pack, unpack } from "msgpackr";
import { DataPlaneService } from "../../gen/tessera/dataplane/v1/data_plane_service_pb.ts";
import { CT_JSON, CT_MSGPACK, encodeFrame, HEADER_BYTES, OP_PING, OP_PUSH, OP_REGISTER } from "../lib/frames.ts";
import type { HostPort } from "../lib/spawn-child.ts";
import type { TesseraServer } from "../lib/tessera-server.ts";
import { pushBatches, register as registerOverHttp } from "../lib/tessera-setup.ts";
import { checkRowOf } from "./cases.ts";
import { FEATURE_NAMES, registerBody, TABLE, userKey } from "./workload.ts";

export interface ReplyFrame {
  readonly op: number;
  readonly ct: number;
  readonly body: unknown;
}

/**
 * Sends `frames` on one fresh connection (pipelined) and resolves with the decoded replies once as
 * many have come back; rejects when the server closes first or `timeoutMs` passes.
 */
export async function tcpExchange(addr: HostPort, frames: readonly Buffer[], timeoutMs = 10_000): Promise<ReplyFrame[]> {
  const socket = connect({ host: addr.host, port: addr.port, noDelay: true });
  try {
    await Promise.race([once(socket, "connect"), once(socket, "error").then(([e]) => Promise.reject(e as Error))]);
    const replies: ReplyFrame[] = [];
    let buf: Buffer = Buffer.alloc(0);
    return await new Promise<ReplyFrame[]>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`TCP: ${replies.length}/${frames.length} replies after ${timeoutMs} ms`)), timeoutMs);
      socket.on("data", (c: Buffer) => {
        buf = buf.length === 0 ? c : Buffer.concat([buf, c]);
        while (buf.length >= HEADER_BYTES && buf.length >= 4 + buf.readUInt32BE(0)) {
          const len = buf.readUInt32BE(0);
          const op = buf.readUInt16BE(4);
          const ct = buf[6] as number;
          const payload = buf.subarray(HEADER_BYTES, 4 + len);
          let body: unknown;
          try {
            body = payload.length === 0 ? null : ct === CT_MSGPACK ? unpack(payload) : JSON.parse(payload.toString("utf8"));
          } catch {
            body = payload.toString("utf8");
          }
          replies.push({ op, ct, body });
          buf = buf.subarray(4 + len);
        }
        if (replies.length >= frames.length) {
          clearTimeout(timer);
          resolve(replies);
        }
      });
      socket.on("error", (e) => {
        clearTimeout(timer);
        reject(e);
      });
      socket.on("close", () => {
        clearTimeout(timer);
        reject(new Error(`TCP: connection closed after ${replies.length}/${frames.length} replies`));
      });
      socket.write(Buffer.concat(frames));
    });
  } finally {
    socket.destroy();
  }
}

export interface Availability {
  /** null when available, else why not. */
  readonly http: string | null;
  readonly tcp: string | null;
  readonly grpc: string | null;
}

function why(e: unknown): string {
  return (e instanceof Error ? e.message : String(e)).split("\n")[0] as string;
}

/** Which data-plane transports the server answers (a transport still being written does not). */
export async function probe(server: TesseraServer): Promise<Availability> {
  let http: string | null = null;
  try {
    const res = await fetch(`${server.url}/ping`, { method: "POST" });
    const body = await res.text();
    if (res.status !== 200 || !body.includes("registry_version")) http = `POST /ping answered ${res.status} ${body.slice(0, 120)}`;
  } catch (e) {
    http = `POST /ping: ${why(e)}`;
  }
  let tcp: string | null = null;
  if (server.tcp === null) tcp = "the server's TCP listener is off";
  else {
    try {
      const [r] = await tcpExchange(server.tcp, [encodeFrame(OP_PING, CT_JSON, Buffer.alloc(0))], 3_000);
      if (r?.op !== OP_PING) tcp = `PING answered op 0x${r?.op.toString(16)}: ${JSON.stringify(r?.body)}`;
    } catch (e) {
      tcp = `PING: ${why(e)}`;
    }
  }
  let grpc: string | null = null;
  try {
    const client = createClient(DataPlaneService, createGrpcTransport({ baseUrl: server.url }));
    const res = await client.ping({});
    if (!res.pong) grpc = "Ping did not answer pong";
  } catch (e) {
    grpc = `DataPlaneService/Ping: ${why(e)}`;
  }
  return { http, tcp, grpc };
}

/** Registers the bench table over the first transport that is available. */
export async function register(server: TesseraServer, av: Availability): Promise<string> {
  const body = registerBody();
  if (av.http === null) {
    await registerOverHttp(server.url, body);
    return "HTTP POST /register";
  }
  if (av.tcp === null && server.tcp !== null) {
    const [r] = await tcpExchange(server.tcp, [encodeFrame(OP_REGISTER, CT_JSON, Buffer.from(JSON.stringify(body)))]);
    if (r?.op !== OP_REGISTER) throw new Error(`TCP REGISTER: op 0x${r?.op.toString(16)} ${JSON.stringify(r?.body)}`);
    return "TCP OP_REGISTER";
  }
  if (av.grpc === null) {
    const client = createClient(DataPlaneService, createGrpcTransport({ baseUrl: server.url }));
    await client.register({ nodes: body.nodes as never });
    return "gRPC DataPlaneService/Register";
  }
  throw new Error("no data-plane transport is available to register the bench table");
}

/** Pushes every preload batch (`/push_batch` bodies) over HTTP, or as pipelined TCP pushes. */
export async function preload(server: TesseraServer, av: Availability, batches: readonly Buffer[]): Promise<string> {
  if (av.http === null) {
    await pushBatches(server.url, batches, 1);
    return "HTTP POST /push_batch";
  }
  if (av.tcp === null && server.tcp !== null) {
    for (const b of batches) {
      const events = (JSON.parse(b.toString()) as { events: { event: string; data: unknown }[] }).events;
      const replies = await tcpExchange(
        server.tcp,
        events.map((e) => encodeFrame(OP_PUSH, CT_MSGPACK, pack({ event: e.event, body: e.data }))),
      );
      const bad = replies.find((r) => r.op !== OP_PUSH);
      if (bad !== undefined) throw new Error(`TCP PUSH: op 0x${bad.op.toString(16)} ${JSON.stringify(bad.body)}`);
    }
    return "TCP OP_PUSH, pipelined";
  }
  throw new Error("no HTTP or TCP data plane to preload the entities");
}

/** Reads one preloaded entity over HTTP (when available) and checks the row. */
export async function checkPreloaded(server: TesseraServer, av: Availability): Promise<void> {
  if (av.http !== null) return;
  const res = await fetch(`${server.url}/get`, { method: "POST", body: JSON.stringify({ table: TABLE, key: userKey(1) }) });
  checkRowOf(FEATURE_NAMES, "POST /get after preload")(await res.json());
}
