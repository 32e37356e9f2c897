import assert from "node:assert/strict";
import type { JsonObject, MessageInitShape } from "@bufbuild/protobuf";
import { Code, ConnectError, createClient, type Client, type Transport } from "@connectrpc/connect";
import { createConnectTransport, createGrpcTransport, Http2SessionManager } from "@connectrpc/connect-node";
import { pack } from "msgpackr";
import { after, before, describe, test } from "node:test";
import { DataPlaneService, type EntryError, type GetRequestSchema } from "../../gen/tessera/dataplane/v1/data_plane_service_pb.ts";
import { TcpConnection } from "../../src/client/tcp-connection.ts";
import { ERROR_CODES, type ErrorCode } from "../../src/errors/codes.ts";
import { ERROR_CODE_HEADER } from "../../src/errors/wire-errors.ts";
import { ContentType, Op } from "../../src/transport/tcp/opcodes.ts";
import { decodePayload } from "../../src/transport/tcp/payload-codec.ts";
import { NODES, TXN } from "../client/fixtures.ts";
import { spawnServer, type SpawnedServer } from "../helpers/spawn-server.ts";

/**
 * "The same bad input gets the same code on every wire" (DESIGN §1): each request below is sent as
 * its beava JSON body over HTTP, over TCP as JSON and as msgpack, and as the equivalent
 * DataPlaneService message over Connect and gRPC. Errors must carry the same Tessera code everywhere
 * (HTTP/TCP body `error.code`, Connect/gRPC `tessera-error-code` metadata) with the status the one
 * table in src/errors/codes.ts gives it; good requests must get the same reply body everywhere (the
 * Connect messages read back as beava JSON).
 */

type Verb = "register" | "push" | "push_batch" | "get" | "batch_get" | "ping";
type Body = Record<string, any>;

const WIRES = ["http", "tcp-json", "tcp-msgpack", "connect", "grpc"] as const;
type Wire = (typeof WIRES)[number];

const TCP_OP: Record<Verb, number> = {
  register: Op.REGISTER,
  push: Op.PUSH,
  push_batch: Op.PUSH_BATCH,
  get: Op.GET,
  batch_get: Op.BATCH_GET,
  ping: Op.PING,
};

/** What one wire answered, as beava JSON: the reply body, or the error body with its status. */
type Answer = { ok: true; body: unknown } | { ok: false; code: string; status: number | undefined; body: Body | undefined };

interface Wires {
  send(wire: Wire, verb: Verb, body: Body): Promise<Answer>;
  close(): Promise<void>;
}

function openWires(server: SpawnedServer): Wires {
  const tcp = new TcpConnection({ host: server.tcp!.host, port: server.tcp!.port, timeoutMs: 10_000 });
  const sessions: Http2SessionManager[] = [];
  const rpc = (make: (session: Http2SessionManager) => Transport): Client<typeof DataPlaneService> => {
    const session = new Http2SessionManager(server.url);
    sessions.push(session);
    return createClient(DataPlaneService, make(session));
  };
  const connect = rpc((sessionManager) => createConnectTransport({ baseUrl: server.url, httpVersion: "2", sessionManager }));
  const grpc = rpc((sessionManager) => createGrpcTransport({ baseUrl: server.url, sessionManager }));

  async function http(verb: Verb, body: Body): Promise<Answer> {
    const res = await fetch(`${server.url}/${verb}`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify(body) });
    const reply = (await res.json()) as Body;
    return res.ok ? { ok: true, body: reply } : { ok: false, code: reply["error"]?.code, status: res.status, body: reply };
  }

  async function overTcp(verb: Verb, body: Body, contentType: number): Promise<Answer> {
    const payload = verb === "ping" ? new Uint8Array(0) : contentType === ContentType.MSGPACK ? pack(body) : Buffer.from(JSON.stringify(body));
    const reply = await tcp.request(TCP_OP[verb], contentType, payload, (op, ct, p) => ({ op, ct, body: decodePayload(ct, p) as Body }));
    if (reply.op === Op.ERROR_RESPONSE) {
      assert.equal(reply.ct, ContentType.JSON, "error frames are JSON");
      return { ok: false, code: reply.body["error"]?.code, status: undefined, body: reply.body };
    }
    const expectedOp = verb === "get" || verb === "batch_get" ? Op.GET_RESPONSE : TCP_OP[verb];
    assert.equal(reply.op, expectedOp, `reply op of ${verb}`);
    return { ok: true, body: reply.body };
  }

  async function overRpc(client: Client<typeof DataPlaneService>, verb: Verb, body: Body): Promise<Answer> {
    try {
      return { ok: true, body: await callRpc(client, verb, body) };
    } catch (e) {
      const ce = ConnectError.from(e);
      return { ok: false, code: ce.metadata.get(ERROR_CODE_HEADER) ?? `<no ${ERROR_CODE_HEADER}: ${Code[ce.code]}>`, status: ce.code, body: undefined };
    }
  }

  return {
    send(wire, verb, body) {
      switch (wire) {
        case "http":
          return http(verb, body);
        case "tcp-json":
          return overTcp(verb, body, ContentType.JSON);
        case "tcp-msgpack":
          return overTcp(verb, body, ContentType.MSGPACK);
        case "connect":
          return overRpc(connect, verb, body);
        case "grpc":
          return overRpc(grpc, verb, body);
      }
    },
    async close() {
      tcp.close("test done");
      for (const s of sessions) s.abort();
    },
  };
}

// --- the beava body as a DataPlaneService request, and the reply back as the beava body ---------------

function getRequest(b: Body): MessageInitShape<typeof GetRequestSchema> {
  const key = Array.isArray(b["key"]) ? { keySegments: b["key"] } : { key: b["key"] ?? "" };
  const features = b["features"] === undefined ? {} : { features: b["features"], featuresSet: true };
  return { table: b["table"] ?? "", ...key, ...features };
}

function entryError(e: EntryError): Body {
  return { error: { ...(e.details ?? {}), code: e.code, message: e.message } };
}

async function callRpc(client: Client<typeof DataPlaneService>, verb: Verb, b: Body): Promise<unknown> {
  const workspace: string = b["workspace"] ?? "";
  switch (verb) {
    case "register": {
      const r = await client.register({ workspace, nodes: b["nodes"], force: b["force"] === true, dryRun: b["dry_run"] === true });
      if (r.diff !== undefined) {
        return { diff: { additive: r.diff.additive, destructive: r.diff.destructive, already_present: r.diff.alreadyPresent }, would_apply: r.wouldApply };
      }
      return {
        status: r.status,
        registry_version: Number(r.registryVersion),
        registered_descriptors: r.registeredDescriptors,
        added: r.added,
        already_present: r.alreadyPresent,
      };
    }
    case "push": {
      const r = await client.push({ workspace, event: b["event"] ?? "", data: b["data"] as JsonObject | undefined });
      return { ack_lsn: Number(r.ackLsn), idempotent_replay: r.idempotentReplay, registry_version: Number(r.registryVersion) };
    }
    case "push_batch": {
      const r = await client.pushBatch({ workspace, events: (b["events"] as Body[]).map((e) => ({ event: e["event"] ?? "", data: e["data"] })) });
      return {
        outcomes: r.outcomes.map((o) => (o.error !== undefined ? entryError(o.error) : { ack_lsn: Number(o.ackLsn), idempotent_replay: o.idempotentReplay })),
        registry_version: Number(r.registryVersion),
      };
    }
    case "get":
      return (await client.get({ workspace, ...getRequest(b) })).features ?? {};
    case "batch_get": {
      const r = await client.batchGet({ workspace, requests: (b["requests"] as Body[]).map(getRequest) });
      return { results: r.results.map((x) => (x.error !== undefined ? entryError(x.error) : (x.features ?? {}))) };
    }
    case "ping": {
      const r = await client.ping({});
      return { pong: r.pong, server_version: r.serverVersion, registry_version: Number(r.registryVersion) };
    }
  }
}

/** Ack LSNs differ from push to push; each must be a positive integer, and is then masked. */
function maskLsns(body: unknown): unknown {
  return JSON.parse(JSON.stringify(body), (k, v) => {
    if (k !== "ack_lsn") return v;
    assert.ok(Number.isSafeInteger(v) && v > 0, `ack_lsn ${v}`);
    return "<lsn>";
  });
}

// --- the table ------------------------------------------------------------------------------------

interface BadInput {
  readonly name: string;
  readonly verb: Verb;
  readonly body: Body;
  readonly code: ErrorCode;
}

const BAD_INPUTS: readonly BadInput[] = [
  { name: "unknown event", verb: "push", body: { event: "no_such_event", data: { user_id: "u1" } }, code: "event_not_found" },
  { name: "unknown field", verb: "push", body: { event: "txn", data: { user_id: "u1", amount: 1, bogus: 1 } }, code: "unknown_field_v0" },
  { name: "missing required field", verb: "push", body: { event: "txn", data: { user_id: "u1" } }, code: "invalid_event" },
  { name: "wrong type", verb: "push", body: { event: "txn", data: { user_id: "u1", amount: "12.5" } }, code: "invalid_event" },
  { name: "control character", verb: "push", body: { event: "txn", data: { user_id: "u\u0007", amount: 1 } }, code: "control_character_in_string" },
  { name: "missing event name", verb: "push", body: { data: { user_id: "u1", amount: 1 } }, code: "missing_event_name_in_body" },
  { name: "unknown table", verb: "get", body: { table: "no_such_table", key: "u1" }, code: "unknown_table" },
  { name: "wrong key arity", verb: "get", body: { table: "user_txn", key: "u1|extra" }, code: "key_parse_failure" },
  { name: "unknown feature", verb: "get", body: { table: "user_txn", key: "u1", features: ["bogus"] }, code: "feature_not_found" },
  { name: "unknown feature in a batch", verb: "batch_get", body: { requests: [{ table: "user_txn", key: "u1", features: ["bogus"] }] }, code: "feature_not_found" },
  { name: "destructive register without force", verb: "register", body: { nodes: [TXN] }, code: "force_required" },
  {
    name: "invalid registration",
    verb: "register",
    body: { nodes: [{ kind: "event", name: "not a valid name", schema: { fields: { a: "str" } } }] },
    code: "invalid_registration",
  },
];

interface GoodInput {
  readonly name: string;
  readonly verb: Verb;
  readonly body: Body;
}

const GOOD_INPUTS: readonly GoodInput[] = [
  { name: "ping", verb: "ping", body: {} },
  { name: "unchanged register", verb: "register", body: { nodes: NODES } },
  { name: "dry-run register", verb: "register", body: { nodes: [TXN], dry_run: true } },
  { name: "push", verb: "push", body: { event: "txn", data: { user_id: "p1", amount: 2.5, note: "n" } } },
  {
    name: "push_batch with a bad event",
    verb: "push_batch",
    body: { events: [{ event: "txn", data: { user_id: "p1", amount: 1 } }, { event: "no_such_event", data: {} }] },
  },
  { name: "get", verb: "get", body: { table: "user_txn", key: "u1" } },
  { name: "get with a key as segments", verb: "get", body: { table: "user_txn", key: ["u1"] } },
  { name: "get some features", verb: "get", body: { table: "user_txn", key: "u1", features: ["amount_sum"] } },
  { name: "get no features", verb: "get", body: { table: "user_txn", key: "u1", features: [] } },
  { name: "get a cold entity", verb: "get", body: { table: "user_txn", key: "nobody" } },
  {
    name: "batch_get with failing entries",
    verb: "batch_get",
    body: {
      requests: [
        { table: "user_txn", key: "u1" },
        { table: "no_such_table", key: "u1" },
        { table: "user_txn", key: "a|b" },
        { table: "user_txn", key: "nobody", features: ["txn_count"] },
      ],
    },
  },
];

/** REGISTER takes JSON only (beava §6), so the msgpack wire answers it with its own code. */
function wiresFor(verb: Verb): readonly Wire[] {
  return verb === "register" ? WIRES.filter((w) => w !== "tcp-msgpack") : WIRES;
}

describe("wire parity: HTTP, TCP (JSON, msgpack), Connect and gRPC", () => {
  let server: SpawnedServer;
  let wires: Wires;
  before(async () => {
    server = await spawnServer();
    wires = openWires(server);
    const reg = await wires.send("http", "register", { nodes: NODES, force: true });
    assert.ok(reg.ok, JSON.stringify(reg));
    for (const amount of [10, 2.5]) assert.ok((await wires.send("http", "push", { event: "txn", data: { user_id: "u1", amount } })).ok);
  });
  after(async () => {
    await wires.close();
    await server.stop();
  });

  for (const input of BAD_INPUTS) {
    test(`the same bad input gets the same code on every wire: ${input.name} → ${input.code}`, async () => {
      const spec = ERROR_CODES[input.code];
      for (const wire of wiresFor(input.verb)) {
        const answer = await wires.send(wire, input.verb, input.body);
        assert.equal(answer.ok, false, `${wire} accepted it: ${JSON.stringify(answer)}`);
        if (answer.ok) continue;
        if (wire === "connect" || wire === "grpc") {
          assert.equal(answer.code, input.code, `${wire} tessera-error-code`);
          assert.equal(answer.status, spec.grpc, `${wire} status`);
          continue;
        }
        if (input.code === "feature_not_found") {
          // beava renders it as a 500 internal_error whose reason names the real code.
          assert.equal(answer.code, "internal_error", `${wire} error.code`);
          assert.match(String(answer.body!["error"].reason), /^feature_not_found: /, `${wire} error.reason`);
        } else {
          assert.equal(answer.code, input.code, `${wire} error.code`);
        }
        if (wire === "http") assert.equal(answer.status, spec.http, "HTTP status");
      }
    });
  }

  test("the beava wires give the same whole error body for every bad input", async () => {
    for (const input of BAD_INPUTS) {
      const bodies = await Promise.all(
        wiresFor(input.verb)
          .filter((w) => w.startsWith("http") || w.startsWith("tcp"))
          .map(async (w) => [w, (await wires.send(w, input.verb, input.body)) as Answer & { ok: false }] as const),
      );
      const [, reference] = bodies[0]!;
      for (const [wire, answer] of bodies) assert.deepEqual(answer.body, reference.body, `${input.name}: ${wire} vs http`);
    }
  });

  test("REGISTER over msgpack is refused: the TCP wire takes it as JSON only", async () => {
    const answer = await wires.send("tcp-msgpack", "register", { nodes: NODES });
    assert.equal(answer.ok, false);
    assert.equal((answer as Answer & { ok: false }).code, "unsupported_content_type");
  });

  for (const input of GOOD_INPUTS) {
    test(`the same good input gets the same reply on every wire: ${input.name}`, async () => {
      const replies: [Wire, unknown][] = [];
      for (const wire of wiresFor(input.verb)) {
        const answer = await wires.send(wire, input.verb, input.body);
        assert.ok(answer.ok, `${wire} failed: ${JSON.stringify(answer)}`);
        replies.push([wire, maskLsns(answer.body)]);
      }
      const [, reference] = replies[0]!;
      for (const [wire, body] of replies) assert.deepEqual(body, reference, `${wire} vs http`);
    });
  }
});
