import assert from "node:assert/strict";
import { createClient, TesseraClientError, type ClientOptions, type DataPlaneClient, type JsonObject } from "../../src/client/index.ts";
import type { SpawnedServer } from "../helpers/spawn-server.ts";

/** Every way the client can reach a server, named for test titles. */
export const WIRES = ["http", "tcp-msgpack", "tcp-json", "connect", "grpc", "grpc-web"] as const;
export type Wire = (typeof WIRES)[number];

export function clientOptions(server: SpawnedServer, wire: Wire): ClientOptions {
  switch (wire) {
    case "http":
      return { transport: "http", url: server.url };
    case "tcp-msgpack":
    case "tcp-json":
      return { transport: "tcp", host: server.tcp!.host, port: server.tcp!.port, encoding: wire === "tcp-json" ? "json" : "msgpack" };
    case "connect":
    case "grpc":
    case "grpc-web":
      return { transport: "connect", url: server.url, protocol: wire };
  }
}

export function clientFor(server: SpawnedServer, wire: Wire): DataPlaneClient {
  return createClient(clientOptions(server, wire));
}

/** An event source and a table of lifetime aggregations over it (no windows: no clock needed). */
export const TXN: JsonObject = { kind: "event", name: "txn", schema: { fields: { user_id: "str", amount: "f64", note: "str" }, optional_fields: ["note"] } };
export const USER_TXN: JsonObject = {
  kind: "derivation",
  name: "user_txn",
  output_kind: "table",
  upstreams: ["txn"],
  table_primary_key: ["user_id"],
  ops: [{ op: "group_by", keys: ["user_id"], agg: { txn_count: { op: "count" }, amount_sum: { op: "sum", params: { field: "amount" } } } }],
};
export const NODES: JsonObject[] = [TXN, USER_TXN];

/** Runs `fn` and returns the TesseraClientError it throws; fails the test when it does not throw one. */
export async function clientError(fn: () => Promise<unknown>): Promise<TesseraClientError> {
  try {
    await fn();
  } catch (e) {
    assert.ok(e instanceof TesseraClientError, `expected a TesseraClientError, got ${String(e)}`);
    return e;
  }
  assert.fail("expected the call to fail");
}
