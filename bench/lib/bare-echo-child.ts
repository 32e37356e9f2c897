/**
 * The baseline server: the least work node can do to answer a request. It is run as a child process by
 * bare-echo.ts (run directly only for debugging). Every request, whatever its method or path, is
 * answered 200 with the body given by BENCH_ECHO_BODY (default `{"status":"ok"}`, the same bytes as
 * Tessera's GET /health) after the request body, if any, has been read.
 *
 * With BENCH_ECHO_JSON=1 it is a JSON echo instead: the request body is collected and JSON.parse'd,
 * and the reply is JSON.stringify of a small object (`{"ack_lsn":n,"idempotent_replay":false,
 * "registry_version":1}`, n counting requests), so a JSON API can be compared with the least work a
 * node JSON server does per request.
 *
 * It listens twice: HTTP/1.1 (the baseline proper) and h2c prior knowledge, so an HTTP/2 case can also
 * be compared with HTTP/2 without Tessera in it. Ready line: `echo ready http=HOST:PORT h2c=HOST:PORT`.
 */
import * as http from "node:http";
import * as http2 from "node:http2";
import type { AddressInfo } from "node:net";

const host = process.env["BENCH_ECHO_HOST"] ?? "127.0.0.1";
const body = Buffer.from(process.env["BENCH_ECHO_BODY"] ?? '{"status":"ok"}');
const headers = { "content-type": "application/json", "content-length": String(body.length) };

const jsonMode = process.env["BENCH_ECHO_JSON"] === "1";
let served = 0;
/** Keeps parsed bodies reachable so the parse cannot be optimised away. */
let sink: unknown;

/** The part of node's HTTP/1.1 and HTTP/2 compatibility request/response APIs the handlers use. */
interface Req {
  on(event: "data", listener: (c: Buffer) => void): unknown;
  on(event: "end", listener: () => void): unknown;
  resume(): unknown;
}
interface Res {
  writeHead(status: number, headers: Record<string, string>): unknown;
  end(body: string | Buffer): unknown;
}

function fixed(req: Req, res: Res): void {
  // Wait for the end of the request body so POST cases are answered at the same point as GET ones.
  req.on("end", () => {
    res.writeHead(200, headers);
    res.end(body);
  });
  req.resume();
}

function jsonEcho(req: Req, res: Res): void {
  const chunks: Buffer[] = [];
  req.on("data", (c: Buffer) => chunks.push(c));
  req.on("end", () => {
    const raw = chunks.length === 1 ? (chunks[0] as Buffer) : Buffer.concat(chunks);
    sink = raw.length === 0 ? null : JSON.parse(raw.toString("utf8"));
    const out = JSON.stringify({ ack_lsn: ++served, idempotent_replay: false, registry_version: 1 });
    res.writeHead(200, { "content-type": "application/json", "content-length": String(Buffer.byteLength(out)) });
    res.end(out);
  });
}

const handler = jsonMode ? jsonEcho : fixed;
const h1 = http.createServer({ noDelay: true, keepAliveTimeout: 65_000 }, handler);
const h2 = http2.createServer({}, handler);

function listen(server: http.Server | http2.Http2Server): Promise<string> {
  return new Promise((resolve, reject) => {
    server.once("error", reject);
    server.listen(0, host, () => {
      const a = server.address() as AddressInfo;
      resolve(`${a.address.includes(":") ? `[${a.address}]` : a.address}:${a.port}`);
    });
  });
}

const [h1Addr, h2Addr] = await Promise.all([listen(h1), listen(h2)]);
process.stdout.write(`echo ready http=${h1Addr} h2c=${h2Addr}\n`);
process.on("SIGTERM", () => process.exit(sink === Symbol() ? 1 : 0));
