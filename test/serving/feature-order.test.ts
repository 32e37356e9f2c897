import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { spawnServer, type SpawnedServer } from "../helpers/spawn-server.ts";
import { GET_FEATURES, GET_FEATURES_BATCH, METADATA, ok, post, register, setClock, T0 } from "./helpers.ts";

/**
 * Tecton's feature order (tecton-behaviour.md §2.3 "Ordering", DESIGN §4): realtime views first,
 * sorted by view name, each in its declared feature order; then the tables sorted by name (or
 * alias), each with its features in plain lexicographic order (`amt_mean_1d_10m < amt_mean_1h_10m <
 * amt_mean_3d_10m`, `count_1d_1d < count_30d_1d < count_90d_1d`), whatever order the registration
 * declares them in. Every reply that lists features uses that one order.
 */

let server: SpawnedServer;
before(async () => {
  server = await spawnServer();
  await setClock(server, T0);
});
after(async () => {
  await server.stop();
});

const tiled = (op: string, window: string, interval: string, field?: string) => ({ op, params: { ...(field === undefined ? {} : { field }), window, interval } });
const table = (name: string, agg: Record<string, unknown>) => ({ kind: "derivation", name, output_kind: "table", upstreams: ["txn"], table_primary_key: ["user"], ops: [{ op: "group_by", keys: ["user"], agg }] });

const NODES = [
  { kind: "event", name: "txn", schema: { fields: { user: "str", amt: "f64" } } },
  table("user_counts", { count_90d_1d: tiled("count", "90d", "1d"), count_1d_1d: tiled("count", "1d", "1d"), count_30d_1d: tiled("count", "30d", "1d") }),
  table("amounts", { amt_mean_3d_10m: tiled("mean", "3d", "10m", "amt"), amt_mean_1h_10m: tiled("mean", "1h", "10m", "amt"), amt_mean_1d_10m: tiled("mean", "1d", "10m", "amt") }),
  { kind: "realtime", name: "zeta_checks", request_schema: { fields: { x: "f64" } }, features: { z_last: "x > 1.0", a_first: "x < 1.0" } },
  { kind: "realtime", name: "alpha_checks", request_schema: { fields: { x: "f64" } }, tables: ["amounts"], features: { m_mean: "amounts.amt_mean_1d_10m", b_double: "x * 2.0" } },
  { kind: "feature_service", name: "ordered", features: [{ table: "user_counts" }, { realtime: "zeta_checks" }, { table: "amounts", alias: "z_amounts" }, { realtime: "alpha_checks" }] },
];

const ORDER = [
  "alpha_checks.m_mean",
  "alpha_checks.b_double",
  "zeta_checks.z_last",
  "zeta_checks.a_first",
  "user_counts.count_1d_1d",
  "user_counts.count_30d_1d",
  "user_counts.count_90d_1d",
  "z_amounts.amt_mean_1d_10m",
  "z_amounts.amt_mean_1h_10m",
  "z_amounts.amt_mean_3d_10m",
];

const params = { featureServiceName: "ordered", joinKeyMap: { user: "u" }, requestContextMap: { x: 2 }, metadataOptions: { includeNames: true } };
const names = (features: { name: string }[]) => features.map((f) => f.name);

describe("feature order", () => {
  test("realtime views by name in declared order, then tables by name (alias) with features lexicographic, on every reply and wire", async () => {
    await register(server, NODES);
    const rest = await post(server, GET_FEATURES, { params });
    assert.equal(rest.status, 200, rest.text);
    assert.deepEqual(names(rest.body.metadata.features), ORDER);
    assert.deepEqual(rest.body.result.features.slice(0, 4), [null, 4, true, false], "values follow their names");
    assert.deepEqual(names((await post(server, GET_FEATURES, { params })).body.metadata.features), ORDER, "stable across calls");
    const batch = await post(server, GET_FEATURES_BATCH, { params: { ...params, requestData: [{ joinKeyMap: { user: "u" }, requestContextMap: { x: 2 } }] } });
    assert.deepEqual(names(batch.body.metadata.features), ORDER);
    assert.deepEqual(names((await post(server, METADATA, { params: { featureServiceName: "ordered" } })).body.featureValues), ORDER);
    const connect = await post(server, "/tessera.featureservice.v1.FeatureService/GetFeatures", { params });
    assert.deepEqual(connect.body, rest.body, "Connect JSON lists the same features in the same order");
  });

  test("a feature added later takes its lexicographic place", async () => {
    const [event, counts, ...rest] = NODES as [unknown, ReturnType<typeof table>, ...unknown[]];
    const grown = { ...counts, ops: [{ ...counts.ops[0]!, agg: { ...counts.ops[0]!.agg, count_1h_1h: tiled("count", "1h", "1h") } }] };
    await ok(server, "/register", { nodes: [event, grown, ...rest] });
    const r = await post(server, GET_FEATURES, { params });
    assert.deepEqual(names(r.body.metadata.features), [...ORDER.slice(0, 5), "user_counts.count_1h_1h", ...ORDER.slice(5)]);
  });
});
