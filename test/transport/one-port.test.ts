import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import * as http2 from "node:http2";
import { fileURLToPath } from "node:url";
import { createClient, Code, ConnectError } from "@connectrpc/connect";
import { createConnectTransport, createGrpcTransport, createGrpcWebTransport } from "@connectrpc/connect-node";
import * as grpc from "@grpc/grpc-js";
import * as protoLoader from "@grpc/proto-loader";
import { Health, HealthCheckResponse_ServingStatus } from "../../gen/grpc/health/v1/health_pb.ts";
import { SecretsService } from "../../gen/tessera/secrets/v1/secrets_service_pb.ts";
import { spawnServer, type SpawnedServer } from "../helpers/spawn-server.ts";

let server: SpawnedServer;
before(async () => {
  server = await spawnServer();
});
after(async () => {
  await server.stop();
});

function h2Get(url: string, path: string): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const session = http2.connect(url);
    session.on("error", reject);
    const req = session.request({ ":path": path, ":method": "GET" });
    let body = "";
    let status = 0;
    req.on("response", (h) => (status = Number(h[":status"])));
    req.on("data", (c: Buffer) => (body += c.toString()));
    req.on("end", () => {
      session.close();
      resolve({ status, body });
    });
    req.end();
  });
}

describe("one port: HTTP/1.1 and h2c", () => {
  test("HTTP/1.1 REST route", async () => {
    const res = await fetch(`${server.url}/health`);
    assert.equal(res.status, 200);
    assert.deepEqual(await res.json(), { status: "ok" });
  });

  test("h2c (prior knowledge) REST route on the same port", async () => {
    const res = await h2Get(server.url, "/health");
    assert.equal(res.status, 200);
    assert.deepEqual(JSON.parse(res.body), { status: "ok" });
  });

  test("unknown route is beava's 404 on both protocols", async () => {
    const res = await fetch(`${server.url}/nope?x=1`);
    assert.equal(res.status, 404);
    assert.deepEqual(await res.json(), { error: { code: "not_found", path: "/nope" } });
    const h2 = await h2Get(server.url, "/nope");
    assert.equal(h2.status, 404);
  });

  test("wrong method is 405 method_not_allowed", async () => {
    const res = await fetch(`${server.url}/health`, { method: "POST", body: "{}" });
    assert.equal(res.status, 405);
    assert.deepEqual(await res.json(), { error: { code: "method_not_allowed", method: "POST", path: "/health" } });
  });
});

describe("Connect, gRPC and gRPC-web clients", () => {
  const transports = {
    "connect over HTTP/1.1": () => createConnectTransport({ baseUrl: server.url, httpVersion: "1.1" }),
    "connect binary over h2c": () => createConnectTransport({ baseUrl: server.url, httpVersion: "2", useBinaryFormat: true }),
    "gRPC over h2c": () => createGrpcTransport({ baseUrl: server.url }),
    "gRPC-web over HTTP/1.1": () => createGrpcWebTransport({ baseUrl: server.url, httpVersion: "1.1" }),
  };
  for (const [name, make] of Object.entries(transports)) {
    test(`${name}: health Check is SERVING`, async () => {
      const client = createClient(Health, make());
      const res = await client.check({ service: "" });
      assert.equal(res.status, HealthCheckResponse_ServingStatus.SERVING);
      const svc = await client.check({ service: "tessera.dataplane.v1.DataPlaneService" });
      assert.equal(svc.status, HealthCheckResponse_ServingStatus.SERVING);
    });

    test(`${name}: unknown health service is NOT_FOUND`, async () => {
      const client = createClient(Health, make());
      await assert.rejects(client.check({ service: "no.such.Service" }), (e: unknown) => {
        assert.ok(e instanceof ConnectError);
        assert.equal(e.code, Code.NotFound);
        return true;
      });
    });
  }

  test("the Secrets service answers on the same port over gRPC", async () => {
    // Implemented with the auth issue (test/secrets covers it); with --auth off no key is needed.
    const client = createClient(SecretsService, createGrpcTransport({ baseUrl: server.url }));
    assert.deepEqual((await client.listSecretScopes({})).scopes, []);
  });

  test("@grpc/grpc-js client calls health Check over gRPC", async () => {
    const protoPath = fileURLToPath(new URL("../../third_party/grpc/health/v1/health.proto", import.meta.url));
    const def = protoLoader.loadSync(protoPath, { keepCase: true, enums: String });
    const pkg = grpc.loadPackageDefinition(def) as unknown as {
      grpc: { health: { v1: { Health: grpc.ServiceClientConstructor } } };
    };
    const client = new pkg.grpc.health.v1.Health(`${server.http.host}:${server.http.port}`, grpc.credentials.createInsecure());
    const res = await new Promise<{ status: string }>((resolve, reject) =>
      client["Check"]({ service: "" }, (err: Error | null, r: { status: string }) => (err ? reject(err) : resolve(r))),
    );
    client.close();
    assert.equal(res.status, "SERVING");
  });
});
