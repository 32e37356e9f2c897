import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { fileURLToPath } from "node:url";
import { toJson, type JsonObject } from "@bufbuild/protobuf";
import { StructSchema } from "@bufbuild/protobuf/wkt";
import { Code, ConnectError, createClient, type Client, type Transport } from "@connectrpc/connect";
import { createConnectTransport, createGrpcTransport, createGrpcWebTransport } from "@connectrpc/connect-node";
import * as grpc from "@grpc/grpc-js";
import * as protoLoader from "@grpc/proto-loader";
import { DataPlaneService } from "../../gen/tessera/dataplane/v1/data_plane_service_pb.ts";
import { spawnServer, type SpawnedServer } from "../helpers/spawn-server.ts";

const ROOT = fileURLToPath(new URL("../..", import.meta.url));

type DataPlaneClient = Client<typeof DataPlaneService>;

const TRANSPORTS: Record<string, (url: string) => Transport> = {
  "Connect JSON over HTTP/1.1": (baseUrl) => createConnectTransport({ baseUrl, httpVersion: "1.1" }),
  "Connect binary over h2c": (baseUrl) => createConnectTransport({ baseUrl, httpVersion: "2", useBinaryFormat: true }),
  "gRPC over h2c": (baseUrl) => createGrpcTransport({ baseUrl }),
  "gRPC-web over HTTP/1.1": (baseUrl) => createGrpcWebTransport({ baseUrl, httpVersion: "1.1" }),
};

const TXN: JsonObject = { kind: "event", name: "txn", schema: { fields: { user: "str", amount: "f64" } } };
const USER_TXN: JsonObject = {
  kind: "derivation",
  name: "user_txn",
  output_kind: "table",
  upstreams: ["txn"],
  table_primary_key: ["user"],
  ops: [{ op: "group_by", keys: ["user"], agg: { cnt: { op: "count" } } }],
};
const NODES = [TXN, USER_TXN];

interface ErrorCase {
  readonly name: string;
  /** The tessera-error-code the client must see. */
  readonly code: string;
  /** The gRPC status it travels as. */
  readonly status: Code;
  readonly call: (client: DataPlaneClient) => Promise<unknown>;
}

async function* streamOf(...messages: JsonObject[]): AsyncGenerator<JsonObject> {
  yield* messages;
}

const CASES: readonly ErrorCase[] = [
  { name: "Push of an unregistered event", code: "event_not_found", status: Code.NotFound, call: (c) => c.push({ event: "nope", data: {} }) },
  { name: "Push of a table name", code: "event_not_found", status: Code.NotFound, call: (c) => c.push({ event: "user_txn", data: { user: "u" } }) },
  {
    name: "Push with a wrongly typed field",
    code: "invalid_event",
    status: Code.InvalidArgument,
    call: (c) => c.push({ event: "txn", data: { user: "u", amount: "12" } }),
  },
  { name: "Push without a required field", code: "invalid_event", status: Code.InvalidArgument, call: (c) => c.push({ event: "txn", data: { user: "u" } }) },
  {
    name: "Push with a field the schema lacks",
    code: "unknown_field_v0",
    status: Code.InvalidArgument,
    call: (c) => c.push({ event: "txn", data: { user: "u", amount: 1, color: "red" } }),
  },
  {
    name: "Push with a control character in a string",
    code: "control_character_in_string",
    status: Code.InvalidArgument,
    call: (c) => c.push({ event: "txn", data: { user: "line\nbreak", amount: 1 } }),
  },
  {
    name: "Push with a control character in a nested string",
    code: "control_character_in_string",
    status: Code.InvalidArgument,
    call: (c) => c.push({ event: "txn", data: { user: "u", amount: 1, tags: ["ok", "tab\there"] } }),
  },
  { name: "Push without an event name", code: "missing_event_name_in_body", status: Code.InvalidArgument, call: (c) => c.push({ data: { user: "u" } }) },
  { name: "Get of an unknown table", code: "unknown_table", status: Code.NotFound, call: (c) => c.get({ table: "nope", key: "u" }) },
  { name: "Get of an event name", code: "unknown_table", status: Code.NotFound, call: (c) => c.get({ table: "txn", key: "u" }) },
  { name: "Get with too many key segments", code: "key_parse_failure", status: Code.InvalidArgument, call: (c) => c.get({ table: "user_txn", key: "a|b" }) },
  {
    name: "Get with key_segments of the wrong arity",
    code: "key_parse_failure",
    status: Code.InvalidArgument,
    call: (c) => c.get({ table: "user_txn", keySegments: ["a", "b"] }),
  },
  {
    name: "Get of an unknown feature",
    code: "feature_not_found",
    status: Code.NotFound,
    call: (c) => c.get({ table: "user_txn", key: "u", features: ["cnt", "bogus"] }),
  },
  {
    name: "BatchGet with an unknown feature fails the whole call",
    code: "feature_not_found",
    status: Code.NotFound,
    call: (c) => c.batchGet({ requests: [{ table: "user_txn", key: "u" }, { table: "user_txn", key: "u", features: ["bogus"] }] }),
  },
  {
    name: "Get with both key and key_segments",
    code: "unsupported_request_shape",
    status: Code.InvalidArgument,
    call: (c) => c.get({ table: "user_txn", key: "u", keySegments: ["u"] }),
  },
  {
    name: "BatchGet entry naming another workspace",
    code: "invalid_argument",
    status: Code.InvalidArgument,
    call: (c) => c.batchGet({ requests: [{ workspace: "other", table: "user_txn", key: "u" }] }),
  },
  {
    name: "Register that removes a table without force",
    code: "force_required",
    status: Code.FailedPrecondition,
    call: (c) => c.register({ nodes: [TXN] }),
  },
  {
    name: "Register with an invalid node name",
    code: "invalid_registration",
    status: Code.InvalidArgument,
    call: (c) => c.register({ nodes: [...NODES, { kind: "event", name: "bad name", schema: { fields: { a: "str" } } }] }),
  },
  {
    name: "Register with an unknown field type",
    code: "invalid_registration",
    status: Code.InvalidArgument,
    call: (c) => c.register({ nodes: [...NODES, { kind: "event", name: "other", schema: { fields: { a: "int" } } }] }),
  },
  {
    name: "Register dry_run of an invalid payload (dry runs validate fully)",
    code: "invalid_registration",
    status: Code.InvalidArgument,
    call: (c) => c.register({ nodes: [...NODES, { kind: "event", name: "other", schema: { fields: {} } }], dryRun: true }),
  },
  ...(["register", "push", "pushBatch", "get", "batchGet", "reset"] as const).map(
    (method): ErrorCase => ({
      name: `${method} in an unknown workspace`,
      code: "workspace_not_found",
      status: Code.NotFound,
      call: (c) => {
        const workspace = "no_such_ws";
        switch (method) {
          case "register":
            return c.register({ workspace, nodes: NODES });
          case "push":
            return c.push({ workspace, event: "txn", data: { user: "u", amount: 1 } });
          case "pushBatch":
            return c.pushBatch({ workspace, events: [{ event: "txn", data: { user: "u", amount: 1 } }] });
          case "get":
            return c.get({ workspace, table: "user_txn", key: "u" });
          case "batchGet":
            return c.batchGet({ workspace, requests: [{ table: "user_txn", key: "u" }] });
          case "reset":
            return c.reset({ workspace });
        }
      },
    }),
  ),
  {
    name: "PushStream into an unknown workspace",
    code: "workspace_not_found",
    status: Code.NotFound,
    call: (c) => c.pushStream(streamOf({ workspace: "no_such_ws", event: "txn", data: { user: "u", amount: 1 } })),
  },
];

function assertTesseraError(e: unknown, status: Code, code: string): true {
  assert.ok(e instanceof ConnectError, `expected a ConnectError, got ${String(e)}`);
  assert.equal(e.code, status, `gRPC code of ${code}: ${e.message}`);
  assert.equal(e.metadata.get("tessera-error-code"), code, e.message);
  return true;
}

describe("DataPlaneService errors (test mode)", () => {
  let server: SpawnedServer;
  before(async () => {
    server = await spawnServer();
    const client = createClient(DataPlaneService, createConnectTransport({ baseUrl: server.url, httpVersion: "1.1" }));
    await client.register({ nodes: NODES });
  });
  after(async () => {
    await server.stop();
  });

  for (const [transportName, makeTransport] of Object.entries(TRANSPORTS)) {
    describe(transportName, () => {
      for (const c of CASES) {
        test(`${c.name}: ${Code[c.status]} ${c.code}`, async () => {
          const client = createClient(DataPlaneService, makeTransport(server.url));
          await assert.rejects(c.call(client), (e: unknown) => assertTesseraError(e, c.status, c.code));
        });
      }
    });
  }

  for (const [transportName, makeTransport] of Object.entries(TRANSPORTS)) {
    test(`${transportName}: force_required carries its diff as a Struct error detail`, async () => {
      const client = createClient(DataPlaneService, makeTransport(server.url));
      await assert.rejects(client.register({ nodes: [TXN] }), (e: unknown) => {
        assert.ok(e instanceof ConnectError);
        const [detail] = e.findDetails(StructSchema);
        assert.ok(detail !== undefined, "a google.protobuf.Struct detail");
        const json = toJson(StructSchema, detail) as JsonObject;
        assert.equal(json["code"], "force_required");
        assert.deepEqual((json["diff"] as JsonObject)["destructive"], [{ kind: "agg_removal", table: "user_txn", agg: "" }]);
        assert.equal(typeof json["registry_version"], "number");
        return true;
      });
    });
  }

  test("a rejected registration leaves the registry as it was", async () => {
    const client = createClient(DataPlaneService, createGrpcTransport({ baseUrl: server.url }));
    const before = (await client.ping({})).registryVersion;
    await assert.rejects(client.register({ nodes: [TXN] }));
    assert.equal((await client.ping({})).registryVersion, before);
    const dry = await client.register({ nodes: [TXN], dryRun: true });
    assert.deepEqual(dry.diff?.destructive, [{ kind: "agg_removal", table: "user_txn", agg: "" }]);
  });

  test("@grpc/grpc-js sees the status code and tessera-error-code in the trailers", async () => {
    const def = protoLoader.loadSync("tessera/dataplane/v1/data_plane_service.proto", { includeDirs: [`${ROOT}proto`], keepCase: true });
    const pkg = grpc.loadPackageDefinition(def) as unknown as {
      tessera: { dataplane: { v1: { DataPlaneService: grpc.ServiceClientConstructor } } };
    };
    const client = new pkg.tessera.dataplane.v1.DataPlaneService(`${server.http.host}:${server.http.port}`, grpc.credentials.createInsecure());
    const call = (method: string, req: object): Promise<grpc.ServiceError> =>
      new Promise((resolve, reject) =>
        (client[method] as (r: object, cb: (err: grpc.ServiceError | null) => void) => void)(req, (err) =>
          err ? resolve(err) : reject(new Error(`${method} succeeded`)),
        ),
      );
    try {
      const notFound = await call("Push", { event: "nope", data: { fields: {} } });
      assert.equal(notFound.code, grpc.status.NOT_FOUND);
      assert.deepEqual(notFound.metadata.get("tessera-error-code"), ["event_not_found"]);
      const force = await call("Register", { nodes: [{ fields: { kind: { stringValue: "event" }, name: { stringValue: "txn" }, schema: TXN_SCHEMA } }] });
      assert.equal(force.code, grpc.status.FAILED_PRECONDITION);
      assert.deepEqual(force.metadata.get("tessera-error-code"), ["force_required"]);
      const badKey = await call("Get", { table: "user_txn", key_segments: ["a", "b"] });
      assert.equal(badKey.code, grpc.status.INVALID_ARGUMENT);
      assert.deepEqual(badKey.metadata.get("tessera-error-code"), ["key_parse_failure"]);
    } finally {
      client.close();
    }
  });
});

// TXN's schema as proto-loader's Struct message (protobufjs' built-in Struct fields are camelCase).
const TXN_SCHEMA = {
  structValue: { fields: { fields: { structValue: { fields: { user: { stringValue: "str" }, amount: { stringValue: "f64" } } } } } },
};

describe("DataPlaneService Reset outside test mode", () => {
  let server: SpawnedServer;
  before(async () => {
    server = await spawnServer([], { TESSERA_TEST_MODE: "0" });
  });
  after(async () => {
    await server.stop();
  });

  for (const [transportName, makeTransport] of Object.entries(TRANSPORTS)) {
    test(`${transportName}: PERMISSION_DENIED reset_disabled_in_production, nothing cleared`, async () => {
      const client = createClient(DataPlaneService, makeTransport(server.url));
      await client.register({ nodes: NODES });
      const version = (await client.ping({})).registryVersion;
      await assert.rejects(client.reset({}), (e: unknown) => assertTesseraError(e, Code.PermissionDenied, "reset_disabled_in_production"));
      await assert.rejects(client.reset({ workspace: "prod" }), (e: unknown) => assertTesseraError(e, Code.PermissionDenied, "reset_disabled_in_production"));
      assert.equal((await client.ping({})).registryVersion, version);
    });
  }
});
