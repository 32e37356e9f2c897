import * as http from "node:http";
import * as net from "node:net";
import type { SpawnedServer } from "../helpers/spawn-server.ts";

/** A day boundary, so 10m tiles and 1h continuous buckets (56 250 ms) all start exactly here. */
export const T0 = 1_699_920_000_000;
export const MIN = 60_000;

export interface Reply {
  readonly status: number;
  readonly headers: Headers;
  // Response bodies are asserted with deepEqual, so their exact type does not matter here.
  readonly body: any;
}

/** POSTs a body (JSON-encoded unless already a string or bytes) and parses the JSON reply. */
export async function post(server: SpawnedServer, path: string, body?: unknown, headers: Record<string, string> = { "content-type": "application/json" }): Promise<Reply> {
  const payload = body === undefined || typeof body === "string" || body instanceof Uint8Array ? body : JSON.stringify(body);
  const res = await fetch(`${server.url}${path}`, { method: "POST", headers, body: payload as string | Uint8Array | undefined });
  const text = await res.text();
  return { status: res.status, headers: res.headers, body: JSON.parse(text) };
}

/** Like post, but fails the test unless the reply is 200. */
export async function ok(server: SpawnedServer, path: string, body?: unknown): Promise<any> {
  const r = await post(server, path, body);
  if (r.status !== 200) throw new Error(`${path} answered ${r.status}: ${JSON.stringify(r.body)}`);
  return r.body;
}

export function pinClock(server: SpawnedServer, nowMs: number): Promise<unknown> {
  return ok(server, "/test/clock", { now_ms: nowMs });
}

/** Registers with force, replacing whatever the previous test left. */
export function registerAll(server: SpawnedServer, nodes: unknown[]): Promise<any> {
  return ok(server, "/register", { nodes, force: true });
}

export function eventNode(name: string, fields: Record<string, string>, optional: string[] = [], extra: Record<string, unknown> = {}): unknown {
  return { kind: "event", name, schema: { fields, optional_fields: optional }, ...extra };
}

export function table(name: string, upstream: string, keys: string[], agg: Record<string, unknown>): unknown {
  return { kind: "derivation", name, output_kind: "table", upstreams: [upstream], table_primary_key: keys, ops: [{ op: "group_by", keys, agg }] };
}

/**
 * One HTTP/1.1 keep-alive connection of its own (an agent with a single socket), so a test can tell
 * two connections apart.
 */
export class Connection {
  private readonly agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
  private readonly server: SpawnedServer;
  readonly localPorts = new Set<number>();

  constructor(server: SpawnedServer) {
    this.server = server;
  }

  post(path: string, body: unknown): Promise<{ status: number; body: any }> {
    const payload = JSON.stringify(body);
    return new Promise((resolve, reject) => {
      const req = http.request(
        { host: this.server.http.host, port: this.server.http.port, path, method: "POST", agent: this.agent, headers: { "content-type": "application/json", "content-length": Buffer.byteLength(payload) } },
        (res) => {
          this.localPorts.add(res.socket.localPort as number);
          let text = "";
          res.setEncoding("utf8");
          res.on("data", (c: string) => (text += c));
          res.on("end", () => resolve({ status: res.statusCode as number, body: JSON.parse(text) }));
        },
      );
      req.on("error", reject);
      req.end(payload);
    });
  }

  close(): void {
    this.agent.destroy();
  }
}

/** Writes raw bytes on a fresh socket and collects everything the server sends until it closes. */
export function rawExchange(server: SpawnedServer, request: string | Buffer): Promise<{ response: string; closedByServer: boolean }> {
  return new Promise((resolve, reject) => {
    const socket = net.connect(server.http.port, server.http.host);
    let response = "";
    socket.setEncoding("latin1");
    socket.on("data", (c: string) => (response += c));
    socket.on("error", reject);
    socket.on("end", () => {
      socket.destroy();
      resolve({ response, closedByServer: true });
    });
    socket.write(request);
  });
}

/** Splits a raw HTTP/1.1 response into status, lower-cased headers and the parsed JSON body. */
export function parseRawResponse(raw: string): { status: number; headers: Record<string, string>; body: any } {
  const split = raw.indexOf("\r\n\r\n");
  const [statusLine, ...lines] = raw.slice(0, split).split("\r\n");
  const headers: Record<string, string> = {};
  for (const l of lines) {
    const i = l.indexOf(":");
    headers[l.slice(0, i).toLowerCase()] = l.slice(i + 1).trim();
  }
  return { status: Number((statusLine as string).split(" ")[1]), headers, body: JSON.parse(raw.slice(split + 4)) };
}
