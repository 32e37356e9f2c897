/**
 * The baseline server: the least work node can do to answer a request. It is run as a child process by
 * bare-echo.ts (run directly only for debugging). Every request, whatever its method or path, is
 * answered 200 with the body given by BENCH_ECHO_BODY (default `{"status":"ok"}`, the same bytes as
 * Tessera's GET /health) after the request body, if any, has been read.
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

const h1 = http.createServer({ noDelay: true, keepAliveTimeout: 65_000 }, (req, res) => {
  // Wait for the end of the request body so POST cases are answered at the same point as GET ones.
  req.on("end", () => {
    res.writeHead(200, headers);
    res.end(body);
  });
  req.resume();
});

const h2 = http2.createServer({}, (req, res) => {
  req.on("end", () => {
    res.writeHead(200, headers);
    res.end(body);
  });
  req.resume();
});

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
process.on("SIGTERM", () => process.exit(0));
