import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { createClient } from "@connectrpc/connect";
import { createConnectTransport } from "@connectrpc/connect-node";
import { Health } from "../../gen/grpc/health/v1/health_pb.ts";
import { spawnServer, type SpawnedServer } from "../helpers/spawn-server.ts";

let server: SpawnedServer;
before(async () => {
  server = await spawnServer();
});
after(async () => {
  await server.stop();
});

test("admin /health and /ready", async () => {
  const h = await fetch(`${server.adminUrl}/health`);
  assert.equal(h.status, 200);
  assert.deepEqual(await h.json(), { status: "ok" });
  const r = await fetch(`${server.adminUrl}/ready`);
  assert.equal(r.status, 200);
  assert.deepEqual(await r.json(), { status: "ready" });
});

test("admin /metrics: request counts and latency labelled by route, protocol, code; process metrics", async () => {
  await fetch(`${server.url}/health`);
  await fetch(`${server.url}/nope`);
  await createClient(Health, createConnectTransport({ baseUrl: server.url, httpVersion: "1.1" })).check({});
  const res = await fetch(`${server.adminUrl}/metrics`);
  assert.equal(res.status, 200);
  assert.match(res.headers.get("content-type") ?? "", /text\/plain/);
  const text = await res.text();
  assert.match(text, /tessera_requests_total\{route="\/health",protocol="rest",code="200"\} 1/);
  assert.match(text, /tessera_requests_total\{route="\/grpc.health.v1.Health\/Check",protocol="connect",code="ok"\} 1/);
  assert.match(text, /tessera_request_duration_seconds_bucket\{le="0.001",route="\/health",protocol="rest",code="200"\}/);
  assert.match(text, /tessera_process_resident_memory_bytes \d+/);
});

test("admin /registry and unknown admin paths", async () => {
  const reg = await fetch(`${server.adminUrl}/registry`);
  assert.equal(reg.status, 200);
  assert.deepEqual(await reg.json(), { workspaces: { prod: { live: true, version: 0, node_count: 0 } } });
  const nf = await fetch(`${server.adminUrl}/nope`);
  assert.equal(nf.status, 404);
  const post = await fetch(`${server.adminUrl}/health`, { method: "POST" });
  assert.equal(post.status, 405);
});
