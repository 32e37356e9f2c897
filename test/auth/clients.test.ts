import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import { createClient, TesseraClientError, type ClientOptions, type DataPlaneClient } from "../../src/client/index.ts";
import type { SpawnedServer } from "../helpers/spawn-server.ts";
import { ADMIN_KEY, assign, clients, NODES, rest, serviceAccount, spawnAuthServer, UNKNOWN_KEY, WS, type Account } from "./helpers.ts";

/**
 * The TypeScript client's `apiKey` option on every transport against a server with auth required:
 * HTTP and Connect send `Authorization: Bearer <key>`, TCP sends OP_AUTH first on every connection
 * (and requests pipelined behind it are answered after it). Refusals surface as TesseraClientError
 * with the same code on every transport.
 */

let server: SpawnedServer;
let editor: Account;
let viewer: Account;

before(async () => {
  server = await spawnAuthServer();
  const c = clients(server);
  assert.equal((await rest(server, "POST", "/register", { nodes: NODES }, ADMIN_KEY)).status, 200);
  editor = await serviceAccount(c, "client-editor");
  viewer = await serviceAccount(c, "client-viewer");
  await assign(c, [
    { resourceType: WS, resourceId: "prod", role: "editor", principalId: editor.id },
    { resourceType: WS, resourceId: "prod", role: "viewer", principalId: viewer.id },
  ]);
});

after(async () => {
  await server.stop();
});

const TRANSPORTS: Record<string, (apiKey: string | undefined) => ClientOptions> = {
  http: (apiKey) => ({ transport: "http", url: server.url, ...(apiKey === undefined ? {} : { apiKey }) }),
  "tcp msgpack (pool of 2)": (apiKey) => ({ transport: "tcp", host: server.tcp!.host, port: server.tcp!.port, poolSize: 2, ...(apiKey === undefined ? {} : { apiKey }) }),
  "tcp json": (apiKey) => ({ transport: "tcp", host: server.tcp!.host, port: server.tcp!.port, encoding: "json", ...(apiKey === undefined ? {} : { apiKey }) }),
  connect: (apiKey) => ({ transport: "connect", url: server.url, ...(apiKey === undefined ? {} : { apiKey }) }),
  grpc: (apiKey) => ({ transport: "connect", protocol: "grpc", url: server.url, ...(apiKey === undefined ? {} : { apiKey }) }),
  "grpc-web": (apiKey) => ({ transport: "connect", protocol: "grpc-web", url: server.url, ...(apiKey === undefined ? {} : { apiKey }) }),
};

async function codeOf(call: Promise<unknown>): Promise<string> {
  try {
    await call;
    return "ok";
  } catch (e) {
    assert.ok(e instanceof TesseraClientError, String(e));
    return e.code;
  }
}

for (const [name, options] of Object.entries(TRANSPORTS)) {
  test(`${name}: apiKey authenticates; no key, a wrong key and a missing role are refused with the same codes`, async () => {
    const open: DataPlaneClient[] = [];
    const client = (key: string | undefined) => {
      const c = createClient(options(key));
      open.push(c);
      return c;
    };
    try {
      const ok = client(editor.key);
      // Several requests at once: on TCP they are pipelined behind OP_AUTH on a fresh connection.
      const replies = await Promise.all([ok.push("txn", { user: "c1", amt: 1 }), ok.push("txn", { user: "c1", amt: 2 }), ok.ping()]);
      assert.equal(replies.length, 3);
      assert.equal((await ok.get("user_txn", "c1")).cnt !== undefined, true);
      assert.equal(await codeOf(client(undefined).ping()), "unauthenticated");
      assert.equal(await codeOf(client(UNKNOWN_KEY).push("txn", { user: "c1", amt: 1 })), "unauthenticated");
      assert.equal(await codeOf(client(viewer.key).push("txn", { user: "c1", amt: 1 })), "permission_denied");
      assert.equal(await codeOf(client(viewer.key).get("user_txn", "c1")), "permission_denied");
      assert.equal(await codeOf(client(viewer.key).ping()), "ok");
    } finally {
      await Promise.all(open.map((c) => c.close()));
    }
  });
}
