import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { createClient, type Client, type Transport } from "@connectrpc/connect";
import { createConnectTransport, createGrpcTransport, createGrpcWebTransport } from "@connectrpc/connect-node";
import * as grpc from "@grpc/grpc-js";
import * as protoLoader from "@grpc/proto-loader";
import type { JsonObject, MessageInitShape } from "@bufbuild/protobuf";
import { DataPlaneService, type PushStreamRequestSchema } from "../../gen/tessera/dataplane/v1/data_plane_service_pb.ts";
import { spawnServer, type SpawnedServer } from "../helpers/spawn-server.ts";

const ROOT = fileURLToPath(new URL("../..", import.meta.url));

let server: SpawnedServer;
before(async () => {
  server = await spawnServer();
});
after(async () => {
  await server.stop();
});

const TRANSPORTS: Record<string, () => Transport> = {
  "Connect JSON over HTTP/1.1": () => createConnectTransport({ baseUrl: server.url, httpVersion: "1.1" }),
  "Connect binary over h2c": () => createConnectTransport({ baseUrl: server.url, httpVersion: "2", useBinaryFormat: true }),
  "gRPC over h2c": () => createGrpcTransport({ baseUrl: server.url }),
  "gRPC-web over HTTP/1.1": () => createGrpcWebTransport({ baseUrl: server.url, httpVersion: "1.1" }),
};

const TXN = { kind: "event", name: "txn", schema: { fields: { user: "str", merchant: "str", amount: "f64", n: "i64" }, optional_fields: ["merchant"] } };
const PAY = { kind: "event", name: "pay", schema: { fields: { id: "str", user: "str" } }, dedupe_key: "id" };
const USER_TXN = {
  kind: "derivation",
  name: "user_txn",
  output_kind: "table",
  upstreams: ["txn"],
  table_primary_key: ["user"],
  ops: [
    {
      op: "group_by",
      keys: ["user"],
      agg: {
        cnt: { op: "count" },
        amt_sum: { op: "sum", params: { field: "amount" } },
        n_max: { op: "max", params: { field: "n" } },
        merchants: { op: "last_n", params: { field: "merchant", n: 3 } },
        first_merchant: { op: "first", params: { field: "merchant" } },
      },
    },
  ],
};
const PAIR_TXN = {
  kind: "derivation",
  name: "pair_txn",
  output_kind: "table",
  upstreams: ["txn"],
  table_primary_key: ["user", "merchant"],
  ops: [{ op: "group_by", keys: ["user", "merchant"], agg: { pair_cnt: { op: "count" } } }],
};
const ALL_TXN = {
  kind: "derivation",
  name: "all_txn",
  output_kind: "table",
  upstreams: ["txn"],
  table_primary_key: [],
  ops: [{ op: "group_by", keys: [], agg: { total: { op: "count" } } }],
};
const USER_PAY = {
  kind: "derivation",
  name: "user_pay",
  output_kind: "table",
  upstreams: ["pay"],
  table_primary_key: ["user"],
  ops: [{ op: "group_by", keys: ["user"], agg: { pays: { op: "count" } } }],
};
const NODES = [TXN, PAY, USER_TXN, PAIR_TXN, ALL_TXN, USER_PAY];
const NAMES = NODES.map((n) => n.name);

for (const [name, makeTransport] of Object.entries(TRANSPORTS)) {
  describe(`DataPlaneService over ${name}`, () => {
    let client: Client<typeof DataPlaneService>;
    let firstAck = 0n;
    before(() => {
      client = createClient(DataPlaneService, makeTransport());
    });

    test("Reset clears the registry and bumps its version", async () => {
      const before = (await client.ping({})).registryVersion;
      const res = await client.reset({});
      assert.equal(res.reset, true);
      assert.equal(res.registryVersion, before + 1n);
      await assert.rejects(client.get({ table: "user_txn", key: "u1" }), (e: unknown) => codeOf(e) === "unknown_table");
    });

    test("Register dry_run returns the diff and applies nothing", async () => {
      const before = (await client.ping({})).registryVersion;
      const res = await client.register({ nodes: NODES, dryRun: true });
      assert.equal(res.wouldApply, false);
      assert.equal(res.status, "");
      assert.ok(res.diff !== undefined);
      assert.deepEqual(res.diff.additive.map((e) => e["name"]).sort(), [...NAMES].sort());
      assert.deepEqual(res.diff.additive.find((e) => e["name"] === "txn"), { kind: "new_descriptor", descriptor_kind: "event", name: "txn" });
      assert.deepEqual(res.diff.destructive, []);
      assert.equal((await client.ping({})).registryVersion, before);
    });

    test("Register applies, then the same payload is a no-op", async () => {
      const before = (await client.ping({})).registryVersion;
      const res = await client.register({ nodes: NODES });
      assert.equal(res.status, "ok");
      assert.equal(res.registryVersion, before + 1n);
      assert.deepEqual(res.registeredDescriptors, NAMES);
      assert.deepEqual([...res.added].sort(), [...NAMES].sort());
      assert.deepEqual(res.alreadyPresent, []);
      assert.equal(res.diff, undefined);

      const again = await client.register({ workspace: "prod", nodes: NODES });
      assert.equal(again.status, "ok");
      assert.equal(again.registryVersion, before + 1n);
      assert.deepEqual(again.added, []);
      assert.deepEqual([...again.alreadyPresent].sort(), [...NAMES].sort());
    });

    test("a destructive change: dry_run lists it, force applies it", async () => {
      const rekeyed = { ...USER_TXN, table_primary_key: ["merchant"], ops: [{ ...USER_TXN.ops[0], keys: ["merchant"] }] };
      const nodes = [TXN, PAY, rekeyed, PAIR_TXN, ALL_TXN, USER_PAY];
      const dry = await client.register({ nodes, dryRun: true, force: true });
      const change = dry.diff?.destructive.find((e) => e["kind"] === "key_cols_change");
      assert.deepEqual(change, { kind: "key_cols_change", table: "user_txn", from: ["user"], to: ["merchant"] });

      const before = (await client.ping({})).registryVersion;
      const forced = await client.register({ nodes, force: true });
      assert.equal(forced.status, "ok");
      assert.equal(forced.registryVersion, before + 1n);
      assert.deepEqual(forced.added, ["user_txn"]);
      const back = await client.register({ nodes: NODES, force: true });
      assert.equal(back.registryVersion, before + 2n);
    });

    test("Push acks with a strictly increasing lsn and the registry version", async () => {
      const version = (await client.ping({})).registryVersion;
      const a = await client.push({ event: "txn", data: { user: "u1", merchant: "m1", amount: 10.5, n: 3 } });
      const b = await client.push({ workspace: "prod", event: "txn", data: { user: "u1", merchant: "a|b", amount: 2, n: 7 } });
      assert.equal(a.idempotentReplay, false);
      assert.ok(a.ackLsn > 0n && b.ackLsn > a.ackLsn);
      assert.equal(b.registryVersion, version);
      firstAck = a.ackLsn;
    });

    test("Push of an event without data is beava's absent data ({}), checked against the schema", async () => {
      await assert.rejects(client.push({ event: "txn" }), (e: unknown) => codeOf(e) === "invalid_event");
    });

    test("Push of a deduplicated event again is an idempotent replay with the original ack", async () => {
      const first = await client.push({ event: "pay", data: { id: "p1", user: "u1" } });
      const again = await client.push({ event: "pay", data: { id: "p1", user: "u1" } });
      assert.equal(first.idempotentReplay, false);
      assert.equal(again.idempotentReplay, true);
      assert.equal(again.ackLsn, first.ackLsn);
      const row = await client.get({ table: "user_pay", key: "u1" });
      assert.deepEqual(row.features, { pays: 1 });
    });

    test("PushBatch reports each event's outcome in order", async () => {
      const res = await client.pushBatch({
        events: [
          { event: "txn", data: { user: "u2", amount: 1, n: 1 } },
          { event: "nope", data: { user: "u2" } },
          { event: "txn", data: { user: "u2", amount: 2, n: 2, extra: true } },
          { event: "txn", data: { user: "u2", amount: 4, n: 5 } },
          { event: "pay", data: { id: "p1", user: "u1" } },
        ],
      });
      assert.equal(res.outcomes.length, 5);
      const [ok1, missing, unknownField, ok2, replay] = res.outcomes;
      assert.ok(ok1!.error === undefined && ok1!.ackLsn > firstAck);
      assert.equal(missing!.error?.code, "event_not_found");
      assert.match(missing!.error!.message, /nope/);
      assert.equal(missing!.ackLsn, 0n);
      assert.equal(unknownField!.error?.code, "unknown_field_v0");
      assert.deepEqual(unknownField!.error?.details, { field: "extra" });
      assert.ok(ok2!.error === undefined && ok2!.ackLsn > ok1!.ackLsn);
      assert.equal(replay!.idempotentReplay, true);
      assert.equal(res.registryVersion, (await client.ping({})).registryVersion);
      const row = await client.get({ table: "user_txn", key: "u2" });
      assert.equal(row.features?.["cnt"], 2);
    });

    test("Get returns the row: i64 and f64 as JSON numbers, lists, nulls", async () => {
      const res = await client.get({ table: "user_txn", key: "u1" });
      assert.deepEqual(res.features, { cnt: 2, amt_sum: 12.5, n_max: 7, merchants: ["m1", "a|b"], first_merchant: "m1" });
      const u2 = await client.get({ table: "user_txn", key: "u2" });
      assert.deepEqual(u2.features, { cnt: 2, amt_sum: 5, n_max: 5, merchants: [], first_merchant: null });
    });

    test("Get narrows to the listed features, and features_set with none returns {}", async () => {
      const some = await client.get({ table: "user_txn", key: "u1", features: ["n_max", "cnt"] });
      assert.deepEqual(some.features, { n_max: 7, cnt: 2 });
      const none = await client.get({ table: "user_txn", key: "u1", features: [], featuresSet: true });
      assert.deepEqual(none.features, {});
      const all = await client.get({ table: "user_txn", key: "u1", features: [], featuresSet: false });
      assert.equal(Object.keys(all.features ?? {}).length, 5);
    });

    test("Get of an entity never seen is the cold start {}", async () => {
      const res = await client.get({ table: "user_txn", key: "nobody" });
      assert.deepEqual(res.features, {});
    });

    test("Get by key_segments equals Get by the escaped pipe-joined key", async () => {
      const bySegments = await client.get({ table: "pair_txn", keySegments: ["u1", "a|b"] });
      assert.deepEqual(bySegments.features, { pair_cnt: 1 });
      const byKey = await client.get({ table: "pair_txn", key: "u1|a%7Cb" });
      assert.deepEqual(byKey.features, { pair_cnt: 1 });
      const plain = await client.get({ table: "pair_txn", key: "u1|m1" });
      assert.deepEqual(plain.features, { pair_cnt: 1 });
    });

    test("Get of a global table uses the empty key", async () => {
      const res = await client.get({ table: "all_txn" });
      assert.deepEqual(res.features, { total: 4 });
    });

    test("BatchGet answers in order, with per-entry errors", async () => {
      const res = await client.batchGet({
        requests: [
          { table: "user_txn", key: "u1", features: ["cnt"] },
          { table: "nope", key: "u1" },
          { table: "pair_txn", key: "u1" },
          { table: "user_txn", key: "nobody" },
          { workspace: "prod", table: "pair_txn", keySegments: ["u2", ""] },
          { table: "all_txn", features: [], featuresSet: true },
        ],
      });
      assert.equal(res.results.length, 6);
      const [row, unknownTable, badKey, cold, noMerchant, empty] = res.results;
      assert.deepEqual(row!.features, { cnt: 2 });
      assert.equal(row!.error, undefined);
      assert.equal(unknownTable!.error?.code, "unknown_table");
      assert.equal(unknownTable!.features, undefined);
      assert.equal(badKey!.error?.code, "key_parse_failure");
      assert.deepEqual(cold!.features, {});
      // u2's pushes had no merchant: a missing key field skips the table (beava §2.2).
      assert.deepEqual(noMerchant!.features, {});
      assert.deepEqual(empty!.features, {});
    });

    test("Ping answers pong, the server version and the prod registry version", async () => {
      const res = await client.ping({});
      assert.equal(res.pong, true);
      assert.match(res.serverVersion, /^\d+\.\d+\.\d+/);
      const reg = await client.register({ nodes: NODES });
      assert.equal(res.registryVersion, reg.registryVersion);
    });
  });
}

describe("BatchGet entry errors are told apart from rows exactly", () => {
  test("a feature named `error` holding {code, message} is a row, not an entry error", async () => {
    const client = createClient(DataPlaneService, createConnectTransport({ baseUrl: server.url, httpVersion: "1.1" }));
    await client.reset({});
    await client.register({
      nodes: [
        { kind: "event", name: "doc", schema: { fields: { id: "str", body: "json" } } },
        {
          kind: "derivation",
          name: "docs",
          output_kind: "table",
          upstreams: ["doc"],
          table_primary_key: ["id"],
          ops: [{ op: "group_by", keys: ["id"], agg: { error: { op: "last", params: { field: "body" } } } }],
        },
      ],
    });
    const lookalike = { code: "unknown_table", message: "not really" };
    await client.push({ event: "doc", data: { id: "d1", body: lookalike } });
    const res = await client.batchGet({ requests: [{ table: "docs", key: "d1" }, { table: "nope", key: "d1" }] });
    assert.deepEqual(res.results[0]!.features, { error: lookalike });
    assert.equal(res.results[0]!.error, undefined);
    assert.equal(res.results[1]!.error?.code, "unknown_table");
  });
});

describe("values a Struct cannot hold", () => {
  // x * 1e300 overflows to Infinity, which max and last_n keep; protobuf JSON has no spelling for it.
  const NODES_INF: JsonObject[] = [
    { kind: "event", name: "obs", schema: { fields: { k: "str", x: "f64" } } },
    {
      kind: "derivation",
      name: "obs_t",
      output_kind: "table",
      upstreams: ["obs"],
      table_primary_key: ["k"],
      ops: [
        { op: "with_columns", exprs: { big: "x * 1e300" } },
        { op: "group_by", keys: ["k"], agg: { big_max: { op: "max", params: { field: "big" } }, bigs: { op: "last_n", params: { field: "big", n: 2 } } } },
      ],
    },
  ];

  test("±Infinity reads as null on every wire, as on POST /get", async () => {
    const setup = createClient(DataPlaneService, makeTransportFor("Connect JSON over HTTP/1.1"));
    await setup.reset({});
    await setup.register({ nodes: NODES_INF });
    await setup.push({ event: "obs", data: { k: "a", x: 1e10 } });
    await setup.push({ event: "obs", data: { k: "a", x: -0.5 } });
    const expected = { big_max: null, bigs: [null, -5e299] };
    for (const name of Object.keys(TRANSPORTS)) {
      const res = await createClient(DataPlaneService, makeTransportFor(name)).get({ table: "obs_t", key: "a" });
      assert.deepEqual(res.features, expected, name);
    }
    const rest = await fetch(`${server.url}/get`, { method: "POST", body: JSON.stringify({ table: "obs_t", key: "a" }) });
    assert.deepEqual(await rest.json(), expected);
  });
});

describe("read-your-writes across wires", () => {
  test("a push over Connect is read back by POST /get over HTTP", async () => {
    const client = createClient(DataPlaneService, createConnectTransport({ baseUrl: server.url, httpVersion: "2", useBinaryFormat: true }));
    await client.reset({});
    await client.register({ nodes: NODES });
    await client.push({ event: "txn", data: { user: "ryw", merchant: "m9", amount: 3.25, n: 11 } });
    const viaConnect = await client.get({ table: "user_txn", key: "ryw" });
    const res = await fetch(`${server.url}/get`, { method: "POST", body: JSON.stringify({ table: "user_txn", key: "ryw" }) });
    assert.equal(res.status, 200);
    const viaHttp = await res.json();
    assert.deepEqual(viaHttp, { cnt: 1, amt_sum: 3.25, n_max: 11, merchants: ["m9"], first_merchant: "m9" });
    assert.deepEqual(viaConnect.features, viaHttp);
  });
});

describe("PushStream (client streaming)", () => {
  // index 2 is rejected (unknown field), index 5 replays index 4's dedupe key.
  const STREAM: { event: string; data: JsonObject }[] = [
    { event: "txn", data: { user: "s1", amount: 1, n: 1 } },
    { event: "txn", data: { user: "s1", amount: 2, n: 2 } },
    { event: "txn", data: { user: "s1", amount: 4, n: 4, bogus: 1 } },
    { event: "txn", data: { user: "s2", amount: 8, n: 8 } },
    { event: "pay", data: { id: "sp1", user: "s1" } },
    { event: "pay", data: { id: "sp1", user: "s1" } },
  ];

  async function freshRegistry(): Promise<Client<typeof DataPlaneService>> {
    const client = createClient(DataPlaneService, createGrpcTransport({ baseUrl: server.url }));
    await client.reset({});
    await client.register({ nodes: NODES });
    return client;
  }

  async function assertStreamApplied(client: Client<typeof DataPlaneService>): Promise<void> {
    assert.deepEqual((await client.get({ table: "user_txn", key: "s1", features: ["cnt", "amt_sum"] })).features, { cnt: 2, amt_sum: 3 });
    assert.deepEqual((await client.get({ table: "user_txn", key: "s2", features: ["cnt"] })).features, { cnt: 1 });
    assert.deepEqual((await client.get({ table: "user_pay", key: "s1" })).features, { pays: 1 });
  }

  for (const name of ["gRPC over h2c", "Connect binary over h2c"]) {
    test(`many events, one summary; a rejected event is counted and the stream goes on (${name})`, async () => {
      const client = await freshRegistry();
      const streaming = createClient(DataPlaneService, makeTransportFor(name));
      const before = await client.push({ event: "txn", data: { user: "s0", amount: 1, n: 1 } });
      async function* messages(): AsyncGenerator<MessageInitShape<typeof PushStreamRequestSchema>> {
        for (const [i, m] of STREAM.entries()) yield i === 0 ? { workspace: "prod", ...m } : m;
      }
      const res = await streaming.pushStream(messages());
      assert.equal(res.accepted, 4n);
      assert.equal(res.replayed, 1n);
      assert.equal(res.rejected, 1n);
      assert.equal(res.errors.length, 1);
      assert.equal(res.errors[0]!.index, 2n);
      assert.equal(res.errors[0]!.error?.code, "unknown_field_v0");
      assert.deepEqual(res.errors[0]!.error?.details, { field: "bogus" });
      assert.ok(res.lastAckLsn > before.ackLsn);
      assert.equal(res.registryVersion, (await client.ping({})).registryVersion);
      await assertStreamApplied(client);
    });
  }

  test("an empty stream is an empty summary", async () => {
    const client = createClient(DataPlaneService, createGrpcTransport({ baseUrl: server.url }));
    const res = await client.pushStream((async function* () {})());
    assert.deepEqual(
      { accepted: res.accepted, replayed: res.replayed, rejected: res.rejected, lastAckLsn: res.lastAckLsn, errors: res.errors },
      { accepted: 0n, replayed: 0n, rejected: 0n, lastAckLsn: 0n, errors: [] },
    );
  });

  test("@grpc/grpc-js client stream with a rejected event and a dedupe replay", async () => {
    const connectClient = await freshRegistry();
    const client = grpcJsClient();
    try {
      const res = await new Promise<GrpcJsStreamSummary>((resolve, reject) => {
        const call = client.PushStream((err, r) => (err ? reject(err) : resolve(r)));
        for (const m of STREAM) call.write({ event: m.event, data: toGrpcJsStruct(m.data) });
        call.end();
      });
      assert.equal(res.accepted, "4");
      assert.equal(res.replayed, "1");
      assert.equal(res.rejected, "1");
      assert.equal(res.errors.length, 1);
      assert.equal(res.errors[0]!.index, "2");
      assert.equal(res.errors[0]!.error.code, "unknown_field_v0");
      assert.ok(BigInt(res.last_ack_lsn) > 0n);
      await assertStreamApplied(connectClient);
    } finally {
      client.close();
    }
  });

  test("@grpc/grpc-js unary Get reads the Struct row", async () => {
    const client = grpcJsClient();
    try {
      const res = await new Promise<{ features: GrpcJsStruct }>((resolve, reject) =>
        client.Get({ table: "user_txn", key: "s1", features: ["cnt"] }, (err, r) => (err ? reject(err) : resolve(r))),
      );
      assert.deepEqual(res.features, { fields: { cnt: { numberValue: 2, kind: "numberValue" } } });
    } finally {
      client.close();
    }
  });
});

describe("buf curl", () => {
  test("Push and Get in protobuf JSON over the Connect protocol", async () => {
    const client = createClient(DataPlaneService, createConnectTransport({ baseUrl: server.url, httpVersion: "1.1" }));
    await client.reset({});
    await client.register({ nodes: NODES });
    const run = promisify(execFile);
    const curl = async (method: string, body: unknown): Promise<unknown> => {
      const url = `${server.url}/tessera.dataplane.v1.DataPlaneService/${method}`;
      const { stdout } = await run(`${ROOT}node_modules/.bin/buf`, ["curl", "--protocol", "connect", "-d", JSON.stringify(body), url], { cwd: ROOT, timeout: 60_000 });
      return JSON.parse(stdout);
    };
    const push = (await curl("Push", { event: "txn", data: { user: "bc", amount: 1.5, n: 2 } })) as Record<string, unknown>;
    assert.equal(typeof push["ackLsn"], "string");
    assert.ok(BigInt(push["ackLsn"] as string) > 0n);
    assert.deepEqual(await curl("Get", { table: "user_txn", key: "bc", features: ["cnt", "amt_sum"] }), { features: { cnt: 1, amt_sum: 1.5 } });
  });
});

// --- helpers ---------------------------------------------------------------------------------------

function makeTransportFor(name: string): Transport {
  return (TRANSPORTS[name] as () => Transport)();
}

function codeOf(e: unknown): string | null {
  return (e as { metadata?: Headers }).metadata?.get("tessera-error-code") ?? null;
}

interface GrpcJsStruct {
  fields: Record<string, Record<string, unknown>>;
}

interface GrpcJsStreamSummary {
  accepted: string;
  replayed: string;
  rejected: string;
  last_ack_lsn: string;
  errors: { index: string; error: { code: string; message: string } }[];
  registry_version: string;
}

/** The two methods these tests call on proto-loader's dynamic client. */
interface GrpcJsDataPlane extends grpc.Client {
  PushStream(callback: (err: grpc.ServiceError | null, res: GrpcJsStreamSummary) => void): grpc.ClientWritableStream<unknown>;
  Get(req: object, callback: (err: grpc.ServiceError | null, res: { features: GrpcJsStruct }) => void): grpc.ClientUnaryCall;
}

function grpcJsClient(): GrpcJsDataPlane {
  const def = protoLoader.loadSync("tessera/dataplane/v1/data_plane_service.proto", {
    includeDirs: [`${ROOT}proto`],
    keepCase: true,
    longs: String,
    oneofs: true,
  });
  const pkg = grpc.loadPackageDefinition(def) as unknown as {
    tessera: { dataplane: { v1: { DataPlaneService: grpc.ServiceClientConstructor } } };
  };
  return new pkg.tessera.dataplane.v1.DataPlaneService(`${server.http.host}:${server.http.port}`, grpc.credentials.createInsecure()) as never;
}

/**
 * A JSON object as proto-loader's google.protobuf.Struct message. protobufjs serves the Struct
 * types from its built-in definitions, whose field names are camelCase whatever keepCase says.
 */
function toGrpcJsStruct(o: Record<string, unknown>): GrpcJsStruct {
  const value = (v: unknown): Record<string, unknown> => {
    if (v === null) return { nullValue: "NULL_VALUE" };
    if (typeof v === "number") return { numberValue: v };
    if (typeof v === "string") return { stringValue: v };
    if (typeof v === "boolean") return { boolValue: v };
    if (Array.isArray(v)) return { listValue: { values: v.map(value) } };
    return { structValue: toGrpcJsStruct(v as Record<string, unknown>) };
  };
  return { fields: Object.fromEntries(Object.entries(o).map(([k, v]) => [k, value(v)])) };
}
