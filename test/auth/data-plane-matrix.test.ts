import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { fromJson } from "@bufbuild/protobuf";
import { ValueSchema } from "@bufbuild/protobuf/wkt";
import { PrincipalType } from "../../gen/tessera/auth/v1/auth_service_pb.ts";
import type { SpawnedServer } from "../helpers/spawn-server.ts";
import { FrameSocket, frame, JSON_CT, MSGPACK_CT, OP } from "../helpers/tcp-frames.ts";
import {
  ADMIN_KEY,
  assign,
  clients,
  connectOutcome,
  grpcClients,
  NODES,
  ORG,
  rest,
  restOutcome,
  serviceAccount,
  spawnAuthServer,
  tcpOutcome,
  tcpSession,
  UNKNOWN_KEY,
  withKey,
  WS,
  type Clients,
  type Outcome,
} from "./helpers.ts";

/**
 * Every data-plane and feature-serving operation × every kind of credential × every wire (REST,
 * Connect, TCP where the operation exists there), against one server with auth required. The
 * expected outcome of each cell comes from DESIGN §6's table: editor for register/push/push_batch,
 * consumer for reads, viewer for Metadata, admin for reset and the test clock, any principal for ping.
 */

type Need = "auth" | "view" | "read" | "write" | "admin";

interface Cred {
  readonly name: string;
  key: string | undefined;
  /** What the credential holds on workspace prod; undefined: it does not authenticate. */
  readonly holds: ReadonlySet<Need> | undefined;
}

const ALL: ReadonlySet<Need> = new Set(["auth", "view", "read", "write", "admin"]);
const CREDS: Cred[] = [
  { name: "no credential", key: undefined, holds: undefined },
  { name: "unknown key", key: UNKNOWN_KEY, holds: undefined },
  { name: "garbage key", key: "not-a-key", holds: undefined },
  { name: "revoked key (was editor)", key: "", holds: undefined },
  { name: "deactivated account (editor)", key: "", holds: undefined },
  { name: "deleted account (editor)", key: "", holds: undefined },
  { name: "no role", key: "", holds: new Set(["auth"]) },
  { name: "viewer", key: "", holds: new Set(["auth", "view"]) },
  { name: "operator", key: "", holds: new Set(["auth", "view"]) },
  { name: "consumer", key: "", holds: new Set(["auth", "view", "read"]) },
  { name: "editor", key: "", holds: new Set(["auth", "view", "read", "write"]) },
  { name: "owner", key: "", holds: new Set(["auth", "view", "read", "write"]) },
  { name: "consumer through a group", key: "", holds: new Set(["auth", "view", "read"]) },
  { name: "editor through a group (user)", key: "", holds: new Set(["auth", "view", "read", "write"]) },
  { name: "consumer on all workspaces", key: "", holds: new Set(["auth", "view", "read"]) },
  { name: "editor of another workspace", key: "", holds: new Set(["auth"]) },
  { name: "admin (bootstrap key)", key: ADMIN_KEY, holds: ALL },
  { name: "admin (assigned)", key: "", holds: ALL },
];

function expected(cred: Cred, need: Need): Outcome {
  if (cred.holds === undefined) return "unauthenticated";
  return cred.holds.has(need) ? "ok" : "permission_denied";
}

const value = (v: string) => fromJson(ValueSchema, v);
const gfParams = { featureServiceName: "fraud", workspaceName: "prod", joinKeyMap: { user: "u1" } };
const push = { event: "txn", data: { user: "u1", amt: 2.5 } };

interface Operation {
  readonly name: string;
  readonly need: Need;
  readonly rest?: (s: SpawnedServer, key: string | undefined) => Promise<Outcome>;
  readonly connect?: (c: Clients, key: string | undefined) => Promise<Outcome>;
  /** [op, payload]: sent on the credential's TCP session. */
  readonly tcp?: [number, unknown];
}

const post = (path: string, body: unknown) => async (s: SpawnedServer, key: string | undefined) => restOutcome(await rest(s, "POST", path, body, key));

const OPERATIONS: Operation[] = [
  {
    name: "register",
    need: "write",
    rest: post("/register", { nodes: NODES }),
    connect: (c, k) => connectOutcome(c.dataPlane.register({ nodes: NODES }, withKey(k))),
    tcp: [OP.REGISTER, { nodes: NODES }],
  },
  {
    name: "push",
    need: "write",
    rest: post("/push", push),
    connect: (c, k) => connectOutcome(c.dataPlane.push(push, withKey(k))),
    tcp: [OP.PUSH, push],
  },
  { name: "push (legacy path)", need: "write", rest: post("/push/txn", push.data) },
  {
    name: "push_batch",
    need: "write",
    rest: post("/push_batch", { events: [push] }),
    connect: (c, k) => connectOutcome(c.dataPlane.pushBatch({ events: [push] }, withKey(k))),
    tcp: [OP.PUSH_BATCH, { events: [push] }],
  },
  {
    name: "PushStream",
    need: "write",
    connect: (c, k) =>
      connectOutcome(
        c.dataPlane.pushStream(
          (async function* () {
            yield push;
          })(),
          withKey(k),
        ),
      ),
  },
  {
    name: "get",
    need: "read",
    rest: post("/get", { table: "user_txn", key: "u1" }),
    connect: (c, k) => connectOutcome(c.dataPlane.get({ table: "user_txn", key: "u1" }, withKey(k))),
    tcp: [OP.GET, { table: "user_txn", key: "u1" }],
  },
  {
    name: "batch_get",
    need: "read",
    rest: post("/batch_get", { requests: [{ table: "user_txn", key: "u1" }] }),
    connect: (c, k) => connectOutcome(c.dataPlane.batchGet({ requests: [{ table: "user_txn", key: "u1" }] }, withKey(k))),
    tcp: [OP.BATCH_GET, { requests: [{ table: "user_txn", key: "u1" }] }],
  },
  {
    name: "GetFeatures",
    need: "read",
    rest: post("/api/v1/feature-service/get-features", { params: gfParams }),
    connect: (c, k) => connectOutcome(c.features.getFeatures({ params: { ...gfParams, joinKeyMap: { user: value("u1") } } }, withKey(k))),
  },
  { name: "GetFeatures (no /api)", need: "read", rest: post("/v1/feature-service/get-features", { params: gfParams }) },
  { name: "GetFeatures (v2)", need: "read", rest: post("/api/v2/workspaces/prod/feature-services/fraud/get-features", { params: { joinKeyMap: { user: "u1" } } }) },
  {
    name: "GetFeaturesBatch",
    need: "read",
    rest: post("/api/v1/feature-service/get-features-batch", { params: { featureServiceName: "fraud", requestData: [{ joinKeyMap: { user: "u1" } }] } }),
    connect: (c, k) => connectOutcome(c.features.getFeaturesBatch({ params: { featureServiceName: "fraud", requestData: [{ joinKeyMap: { user: value("u1") } }] } }, withKey(k))),
  },
  {
    name: "Metadata",
    need: "view",
    rest: post("/api/v1/feature-service/metadata", { params: { featureServiceName: "fraud" } }),
    connect: (c, k) => connectOutcome(c.features.metadata({ params: { featureServiceName: "fraud" } }, withKey(k))),
  },
  { name: "Metadata (v2 GET)", need: "view", rest: async (s, k) => restOutcome(await rest(s, "GET", "/api/v2/workspaces/prod/feature-services/fraud/metadata", undefined, k)) },
  {
    name: "ping",
    need: "auth",
    rest: post("/ping", {}),
    connect: (c, k) => connectOutcome(c.dataPlane.ping({}, withKey(k))),
    tcp: [OP.PING, {}],
  },
  {
    name: "reset (scratch workspace)",
    need: "admin",
    rest: post("/reset", { workspace: "scratch" }),
    connect: (c, k) => connectOutcome(c.dataPlane.reset({ workspace: "scratch" }, withKey(k))),
    tcp: [OP.RESET, { workspace: "scratch" }],
  },
  { name: "test clock", need: "admin", rest: post("/test/clock", { advance_ms: 0 }) },
];

let server: SpawnedServer;
let c: Clients;
const sessions = new Map<string, FrameSocket>();

before(async () => {
  server = await spawnAuthServer();
  c = clients(server);
  const admin = withKey(ADMIN_KEY);
  assert.equal((await rest(server, "POST", "/register", { nodes: NODES }, ADMIN_KEY)).status, 200);
  await c.workspaces.create({ name: "scratch", live: true }, admin);
  await c.workspaces.create({ name: "dev", live: true }, admin);

  const sa = async (name: string) => {
    const a = await serviceAccount(c, name);
    const cred = CREDS.find((x) => x.name === name)!;
    cred.key = a.key;
    return a;
  };
  const onProd = async (name: string, role: string) => {
    const a = await sa(name);
    await assign(c, [{ resourceType: WS, resourceId: "prod", role, principalId: a.id }]);
    return a;
  };
  for (const role of ["viewer", "operator", "consumer", "editor", "owner"]) await onProd(role, role);
  await sa("no role");

  const revoked = await onProd("revoked key (was editor)", "editor");
  const keys = await c.auth.listApiKeys({ owner: { principalType: PrincipalType.SERVICE_ACCOUNT, id: revoked.id } }, admin);
  await c.auth.revokeApiKey({ id: keys.apiKeys[0]!.id }, admin);
  const deactivated = await onProd("deactivated account (editor)", "editor");
  await c.auth.updateServiceAccount({ id: deactivated.id, isActive: false }, admin);
  const deleted = await onProd("deleted account (editor)", "editor");
  await c.auth.deleteServiceAccount({ id: deleted.id }, admin);

  // Group-derived roles: a service account in a consumer group, a user in an editor group.
  const viaGroup = await sa("consumer through a group");
  const consumers = (await c.auth.createGroup({ name: "consumers" }, admin)).group!;
  await c.auth.addGroupMembers({ groupId: consumers.id, members: [{ principalType: PrincipalType.SERVICE_ACCOUNT, id: viaGroup.id }] }, admin);
  await assign(c, [{ resourceType: WS, resourceId: "prod", role: "consumer", principalType: PrincipalType.GROUP, principalId: consumers.id }]);
  const user = (await c.auth.createUser({ loginEmail: "ed@example.com", firstName: "Ed" }, admin)).user!;
  const userKey = await c.auth.createApiKey({ owner: { principalType: PrincipalType.USER, id: user.id } }, admin);
  CREDS.find((x) => x.name === "editor through a group (user)")!.key = userKey.key;
  const editors = (await c.auth.createGroup({ name: "editors" }, admin)).group!;
  await c.auth.addGroupMembers({ groupId: editors.id, members: [{ principalType: PrincipalType.USER, id: user.id }] }, admin);
  await assign(c, [{ resourceType: WS, resourceId: "prod", role: "editor", principalType: PrincipalType.GROUP, principalId: editors.id }]);

  const everywhere = await sa("consumer on all workspaces");
  await assign(c, [{ resourceType: ORG, resourceId: "", role: "consumer", principalId: everywhere.id }]);
  const devEditor = await sa("editor of another workspace");
  await assign(c, [{ resourceType: WS, resourceId: "dev", role: "editor", principalId: devEditor.id }]);
  const admin2 = await sa("admin (assigned)");
  await assign(c, [{ resourceType: ORG, resourceId: "", role: "admin", principalId: admin2.id }]);

  assert.equal((await rest(server, "POST", "/push", push, ADMIN_KEY)).status, 200);
});

after(async () => {
  for (const s of sessions.values()) s.close();
  await server.stop();
});

async function session(cred: Cred): Promise<FrameSocket> {
  let s = sessions.get(cred.name);
  if (s === undefined) {
    s = await tcpSession(server, cred.key);
    sessions.set(cred.name, s);
  }
  return s;
}

for (const op of OPERATIONS) {
  describe(op.name, () => {
    for (const wire of ["REST", "Connect", "TCP"] as const) {
      if ((wire === "REST" && op.rest === undefined) || (wire === "Connect" && op.connect === undefined) || (wire === "TCP" && op.tcp === undefined)) continue;
      test(`${wire}: every credential`, async () => {
        const got: Record<string, Outcome> = {};
        const want: Record<string, Outcome> = {};
        for (const cred of CREDS) {
          want[cred.name] = expected(cred, op.need);
          if (wire === "REST") got[cred.name] = await op.rest!(server, cred.key);
          else if (wire === "Connect") got[cred.name] = await op.connect!(c, cred.key);
          else {
            const s = await session(cred);
            got[cred.name] = tcpOutcome(await s.call(op.tcp![0], JSON_CT, op.tcp![1]));
          }
        }
        assert.deepEqual(got, want);
      });
    }
  });
}

describe("wire details", () => {
  test("REST: 401 and 403 carry Tecton's messages; beava routes use beava's body, Tecton paths grpc-gateway's", async () => {
    const none = await rest(server, "POST", "/api/v1/feature-service/get-features", { params: gfParams });
    assert.equal(none.status, 401);
    assert.equal(none.body.code, 16);
    assert.equal(none.body.error, none.body.message);
    assert.match(none.body.message, /'Tecton-key' authorization header/);
    const bad = await rest(server, "POST", "/api/v1/feature-service/get-features", { params: gfParams }, UNKNOWN_KEY);
    assert.deepEqual(bad.body, { error: "invalid 'Tecton-key' authorization header", code: 16, message: "invalid 'Tecton-key' authorization header" });
    const viewer = CREDS.find((x) => x.name === "viewer")!.key;
    const denied = await rest(server, "POST", "/api/v1/feature-service/get-features", { params: gfParams }, viewer);
    assert.equal(denied.status, 403);
    const text = "Not Authorized. Note that access control changes may take up to 60 seconds to apply.";
    assert.deepEqual(denied.body, { error: text, code: 7, message: text });

    const beava401 = await rest(server, "POST", "/push", push, UNKNOWN_KEY);
    assert.deepEqual(beava401.body, { error: { code: "unauthenticated", message: "invalid 'Tecton-key' authorization header" } });
    const beava403 = await rest(server, "POST", "/push", push, viewer);
    assert.equal(beava403.status, 403);
    assert.equal(beava403.body.error.code, "permission_denied");
    assert.equal(beava403.body.error.message, text);
    assert.equal(beava403.body.error.required_role, "editor");
    assert.equal(beava403.body.error.workspace, "prod");
  });

  test("REST: the scheme is case-insensitive, Bearer works, other schemes and malformed headers are 401", async () => {
    const editor = CREDS.find((x) => x.name === "editor")!.key!;
    for (const scheme of ["Tecton-key", "tecton-key", "Tecton-Key", "TECTON-KEY", "Bearer", "bearer"]) {
      assert.equal((await rest(server, "POST", "/ping", {}, editor, scheme)).status, 200, scheme);
    }
    for (const scheme of ["Basic", "Token", "Tecton-keys"]) assert.equal((await rest(server, "POST", "/ping", {}, editor, scheme)).status, 401, scheme);
    const raw = await fetch(`${server.url}/ping`, { method: "POST", headers: { authorization: editor } });
    assert.equal(raw.status, 401);
  });

  test("REST: an unauthenticated request is refused before its body is read (a malformed body is still 401)", async () => {
    const r = await rest(server, "POST", "/push", "{not json", undefined);
    assert.equal(r.status, 401);
    const g = await rest(server, "POST", "/api/v1/feature-service/get-features", "{not json", UNKNOWN_KEY);
    assert.equal(g.status, 401);
    // With a valid key the same body is the body's error.
    assert.equal((await rest(server, "POST", "/push", "{not json", ADMIN_KEY)).status, 400);
  });

  test("REST: health and readiness stay public", async () => {
    assert.equal((await fetch(`${server.url}/health`)).status, 200);
    assert.equal((await fetch(`${server.url}/ready`)).status, 200);
  });

  test("Connect: an unauthenticated RPC is refused before its message is parsed (requestGate)", async () => {
    const res = await fetch(`${server.url}/tessera.dataplane.v1.DataPlaneService/Push`, { method: "POST", headers: { "content-type": "application/json" }, body: "{not json" });
    assert.equal(res.status, 401);
    assert.equal(((await res.json()) as { code: string }).code, "unauthenticated");
    const authed = await fetch(`${server.url}/tessera.dataplane.v1.DataPlaneService/Push`, {
      method: "POST",
      headers: { "content-type": "application/json", authorization: `Bearer ${ADMIN_KEY}` },
      body: "{not json",
    });
    assert.equal(((await authed.json()) as { code: string }).code, "invalid_argument");
  });

  test("gRPC: UNAUTHENTICATED and PERMISSION_DENIED statuses", async () => {
    const g = grpcClients(server);
    assert.equal(await connectOutcome(g.dataPlane.ping({})), "unauthenticated");
    const viewer = CREDS.find((x) => x.name === "viewer")!.key;
    assert.equal(await connectOutcome(g.dataPlane.push(push, withKey(viewer))), "permission_denied");
    assert.equal(await connectOutcome(g.features.metadata({ params: { featureServiceName: "fraud" } }, withKey(viewer))), "ok");
  });

  test("gRPC: health and reflection stay public", async () => {
    const res = await fetch(`${server.url}/grpc.health.v1.Health/Check`, { method: "POST", headers: { "content-type": "application/json" }, body: "{}" });
    assert.equal(res.status, 200);
  });

  test("TCP: every frame before OP_AUTH answers unauthenticated; a failed OP_AUTH keeps the connection unauthenticated", async () => {
    const s = await FrameSocket.open(server.tcp!);
    try {
      const replies = await (s.send(frame(OP.PING, JSON_CT), frame(OP.PUSH, MSGPACK_CT, push), frame(OP.GET, JSON_CT, { table: "user_txn", key: "u1" })), s.take(3));
      for (const r of replies) {
        assert.equal(tcpOutcome(r), "unauthenticated");
        assert.match(JSON.parse(r.payload.toString()).error.message, /OP_AUTH/);
      }
      const bad = await s.call(OP.AUTH, JSON_CT, { api_key: UNKNOWN_KEY });
      assert.equal(tcpOutcome(bad), "unauthenticated");
      assert.equal(tcpOutcome(await s.call(OP.PING, JSON_CT)), "unauthenticated");
      const good = await s.call(OP.AUTH, MSGPACK_CT, { api_key: CREDS.find((x) => x.name === "editor")!.key });
      assert.equal(good.op, OP.AUTH);
      assert.equal(tcpOutcome(await s.call(OP.PUSH, MSGPACK_CT, push)), "ok");
      // A later failed OP_AUTH drops the identity the connection had.
      await s.call(OP.AUTH, JSON_CT, { api_key: "nope" });
      assert.equal(tcpOutcome(await s.call(OP.PING, JSON_CT)), "unauthenticated");
    } finally {
      s.close();
    }
  });

  test("TCP: OP_AUTH answers the principal; a malformed OP_AUTH payload does not echo the key", async () => {
    const s = await FrameSocket.open(server.tcp!);
    try {
      const r = await s.call(OP.AUTH, JSON_CT, { api_key: ADMIN_KEY });
      assert.deepEqual(JSON.parse(r.payload.toString()), { authenticated: true, principal: { principal_type: "PRINCIPAL_TYPE_SERVICE_ACCOUNT", id: "bootstrap-admin" } });
      const leaky = await s.call(OP.AUTH, JSON_CT, `{"api_key": ${ADMIN_KEY}}`);
      assert.equal(tcpOutcome(leaky), "unauthenticated");
      assert.ok(!leaky.payload.toString().includes(ADMIN_KEY));
    } finally {
      s.close();
    }
  });

  test("revoking a key or deactivating an account takes effect on live connections at once, on every wire", async () => {
    const admin = withKey(ADMIN_KEY);
    const a = await serviceAccount(c, "short-lived");
    await assign(c, [{ resourceType: WS, resourceId: "prod", role: "editor", principalId: a.id }]);
    const s = await tcpSession(server, a.key);
    try {
      assert.equal(tcpOutcome(await s.call(OP.PUSH, JSON_CT, push)), "ok");
      assert.equal(restOutcome(await rest(server, "POST", "/push", push, a.key)), "ok");
      await c.auth.updateServiceAccount({ id: a.id, isActive: false }, admin);
      assert.equal(tcpOutcome(await s.call(OP.PUSH, JSON_CT, push)), "unauthenticated");
      assert.equal(restOutcome(await rest(server, "POST", "/push", push, a.key)), "unauthenticated");
      assert.equal(await connectOutcome(c.dataPlane.push(push, withKey(a.key))), "unauthenticated");
      await c.auth.updateServiceAccount({ id: a.id, isActive: true }, admin);
      assert.equal(tcpOutcome(await s.call(OP.PUSH, JSON_CT, push)), "ok");
      // Unassigning the role is a 403 on the next frame.
      await c.auth.unassignRoles({ assignments: [{ resourceType: WS, resourceId: "prod", role: "editor", principalType: PrincipalType.SERVICE_ACCOUNT, principalId: a.id }] }, admin);
      assert.equal(tcpOutcome(await s.call(OP.PUSH, JSON_CT, push)), "permission_denied");
      const keys = await c.auth.listApiKeys({ owner: { principalType: PrincipalType.SERVICE_ACCOUNT, id: a.id } }, admin);
      await c.auth.revokeApiKey({ id: keys.apiKeys[0]!.id }, admin);
      assert.equal(tcpOutcome(await s.call(OP.PING, JSON_CT)), "unauthenticated");
      assert.equal(restOutcome(await rest(server, "POST", "/ping", {}, a.key)), "unauthenticated");
    } finally {
      s.close();
    }
  });
});
