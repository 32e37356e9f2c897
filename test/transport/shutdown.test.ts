import { test } from "node:test";
import assert from "node:assert/strict";
import * as http from "node:http";
import * as http2 from "node:http2";
import { once } from "node:events";
import { createClient } from "@connectrpc/connect";
import { createGrpcTransport } from "@connectrpc/connect-node";
import { Health, HealthCheckResponse_ServingStatus as S } from "../../gen/grpc/health/v1/health_pb.ts";
import { spawnServer } from "../helpers/spawn-server.ts";

const CHECK = "/grpc.health.v1.Health/Check";
const pause = (ms: number) => new Promise((r) => setTimeout(r, ms));

test("SIGTERM: Watch sees NOT_SERVING, in-flight HTTP/1.1 and HTTP/2 calls complete, exit 0", async () => {
  const server = await spawnServer();

  // A long-lived stream: it must observe the status change before the stream ends.
  const watcher = createClient(Health, createGrpcTransport({ baseUrl: server.url }));
  const seen: S[] = [];
  const watching = (async () => {
    try {
      for await (const r of watcher.watch({ service: "" })) seen.push(r.status);
    } catch {
      // The stream ends with UNAVAILABLE when the server finishes draining.
    }
  })();

  // An HTTP/1.1 Connect call whose body is only half sent when the signal arrives.
  const h1 = http.request(`${server.url}${CHECK}`, {
    method: "POST",
    headers: { "content-type": "application/json", "content-length": 14 },
  });
  const h1Response = once(h1, "response");
  h1.write('{"servi');

  // The same over HTTP/2 (Connect JSON over h2c).
  const session = http2.connect(server.url);
  const h2 = session.request({ ":method": "POST", ":path": CHECK, "content-type": "application/json" });
  const h2Response = once(h2, "response");
  h2.write('{"servi');

  await pause(300);
  assert.deepEqual(seen, [S.SERVING]);
  const exited = once(server.child, "exit");
  server.child.kill("SIGTERM");
  await pause(150);

  h1.end('ce":""}');
  const [h1Res] = (await h1Response) as [http.IncomingMessage];
  let h1Body = "";
  for await (const c of h1Res) h1Body += c;
  assert.equal(h1Res.statusCode, 200);
  assert.deepEqual(JSON.parse(h1Body), { status: "NOT_SERVING" });

  h2.end('ce":""}');
  const [h2Headers] = (await h2Response) as [http2.IncomingHttpHeaders];
  let h2Body = "";
  for await (const c of h2) h2Body += c;
  assert.equal(h2Headers[":status"], 200);
  assert.deepEqual(JSON.parse(h2Body), { status: "NOT_SERVING" });
  session.close();

  const [code] = (await exited) as [number | null];
  assert.equal(code, 0);
  await watching;
  assert.deepEqual(seen, [S.SERVING, S.NOT_SERVING]);
});

test("SIGINT also shuts down cleanly", async () => {
  const server = await spawnServer();
  const exited = once(server.child, "exit");
  server.child.kill("SIGINT");
  const [code] = (await exited) as [number | null];
  assert.equal(code, 0);
});
