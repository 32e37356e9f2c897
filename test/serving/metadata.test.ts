import assert from "node:assert/strict";
import { after, before, beforeEach, describe, test } from "node:test";
import { spawnServer, type SpawnedServer } from "../helpers/spawn-server.ts";
import { CONTEXT, get, getFeatures, METADATA, MIN, NODES, ok, post, push, register, setClock, T0 } from "./helpers.ts";

/** metadataOptions one by one, effective times against the test clock, and the Metadata endpoint. */

let server: SpawnedServer;
before(async () => {
  server = await spawnServer();
});
after(async () => {
  await server.stop();
});

const PURE = { kind: "realtime", name: "pure", request_schema: { fields: { x: "i64" } }, features: { doubled: "x * 2" } };
const CALC = { kind: "feature_service", name: "calc", features: [{ realtime: "pure" }] };

beforeEach(async () => {
  await ok(server, "/reset");
  await setClock(server, T0 + MIN);
  await register(server, [...NODES, PURE, CALC]);
});

const FRAUD_NAMES = [
  "checks.is_high",
  "checks.amt_echo",
  "checks.n_echo",
  "checks.ts_echo",
  "checks.mean_or_null",
  "user_txn.amt_mean_1d_10m",
  "user_txn.amt_sum_1h",
  "user_txn.last_at",
  "user_txn.last_flag",
  "user_txn.last_merchant",
  "user_txn.last_note",
  "user_txn.last_payload",
  "user_txn.merchant_mix",
  "user_txn.qty_hist",
  "user_txn.qty_max",
  "user_txn.qty_sum",
  "user_txn.recent_merchants",
  "user_txn.recent_qty",
  "user_txn.seen_last",
  "user_txn.top_merchants",
  "user_txn.txn_count_1h_10m",
];
const REALTIME = 5;

function fraud(metadataOptions?: unknown, extra: Record<string, unknown> = {}) {
  return getFeatures(server, { featureServiceName: "fraud", joinKeyMap: { user: "alice" }, requestContextMap: CONTEXT, metadataOptions, ...extra });
}

async function pushTxn(user: string, amt: number): Promise<void> {
  await push(server, "txn", { user, merchant: "m", amt, qty: 1, flag: true });
}

describe("metadataOptions", () => {
  test("default all false: the reply is only result.features, in Tecton's order", async () => {
    await pushTxn("alice", 5);
    for (const options of [undefined, null, {}, { includeNames: false, includeDataTypes: false, includeSloInfo: false }]) {
      const r = await fraud(options);
      assert.equal(r.status, 200, r.text);
      assert.deepEqual(Object.keys(r.body), ["result"]);
      assert.deepEqual(Object.keys(r.body.result), ["features"]);
      assert.equal(r.body.result.features.length, FRAUD_NAMES.length);
    }
    const named = await fraud({ includeNames: true });
    assert.deepEqual(named.body.metadata.features.map((f: { name: string }) => f.name), FRAUD_NAMES, "realtime view first (declared order), then features by name");
  });

  test("each option alone adds exactly its own member", async () => {
    await pushTxn("alice", 5);
    const only = async (option: string, snake: string): Promise<Record<string, unknown>[]> => {
      const camel = await fraud({ [option]: true });
      const snaked = await fraud({ [snake]: true });
      assert.equal(camel.status, 200, camel.text);
      assert.deepEqual(Object.keys(camel.body.metadata), ["features"], option);
      assert.deepEqual(snaked.body.metadata, camel.body.metadata, `${snake} is the same option`);
      return camel.body.metadata.features;
    };
    assert.deepEqual(await only("includeNames", "include_names"), FRAUD_NAMES.map((name) => ({ name })));
    const types = await only("includeDataTypes", "include_data_types");
    assert.deepEqual(types.map((t) => Object.keys(t)), FRAUD_NAMES.map(() => ["dataType"]));
    assert.deepEqual(types[0], { dataType: { type: "boolean" } });
    assert.deepEqual(await only("includeTypes", "include_types"), types, "includeTypes is the legacy spelling of includeDataTypes");
    const statuses = await only("includeServingStatus", "include_serving_status");
    // No tile is complete yet, and the optional fields were never pushed.
    const missing = ["user_txn.amt_mean_1d_10m", "user_txn.last_at", "user_txn.last_note", "user_txn.last_payload", "user_txn.txn_count_1h_10m"];
    assert.deepEqual(statuses, FRAUD_NAMES.map((n) => ({ status: missing.includes(n) ? "MISSING_DATA" : "PRESENT" })));
    const times = await only("includeEffectiveTimes", "include_effective_times");
    assert.deepEqual(times.slice(0, REALTIME), [{}, {}, {}, {}, {}], "realtime features have no effective time");
    assert.deepEqual(times[FRAUD_NAMES.indexOf("user_txn.amt_mean_1d_10m")], { effectiveTime: "2023-11-14T00:00:00Z" });
    const descriptions = await only("includeFeatureDescriptions", "include_feature_descriptions");
    assert.deepEqual(descriptions, FRAUD_NAMES.map((_n, i) => (i < REALTIME ? { description: "request-time checks" } : {})), "only realtime views carry descriptions");
    const tags = await only("includeFeatureTags", "include_feature_tags");
    assert.deepEqual(tags, FRAUD_NAMES.map((_n, i) => (i < REALTIME ? { tags: { team: "risk" } } : {})));
  });

  test("includeSloInfo alone: measured times in seconds, no feature entries", async () => {
    await pushTxn("alice", 5);
    const r = await fraud({ includeSloInfo: true });
    assert.deepEqual(Object.keys(r.body.metadata), ["sloInfo"]);
    const slo = r.body.metadata.sloInfo;
    assert.deepEqual(Object.keys(slo), ["sloEligible", "sloServerTimeSeconds", "serverTimeSeconds", "storeMaxLatency"]);
    assert.equal(slo.sloEligible, true);
    for (const k of ["sloServerTimeSeconds", "serverTimeSeconds", "storeMaxLatency"]) {
      assert.equal(typeof slo[k], "number", k);
      assert.ok(slo[k] >= 0 && slo[k] < 1, `${k} = ${slo[k]}`);
    }
    assert.ok(slo.serverTimeSeconds > 0);
    assert.ok(slo.serverTimeSeconds >= slo.sloServerTimeSeconds, "SLO time excludes the realtime evaluation");
    assert.ok(slo.serverTimeSeconds >= slo.storeMaxLatency);
  });
});

describe("effective times", () => {
  async function times(extra: Record<string, unknown> = {}): Promise<Record<string, [unknown, string | undefined]>> {
    const r = await fraud({ includeNames: true, includeEffectiveTimes: true }, extra);
    assert.equal(r.status, 200, r.text);
    const out: Record<string, [unknown, string | undefined]> = {};
    r.body.metadata.features.forEach((m: { name: string; effectiveTime?: string }, i: number) => (out[m.name] = [r.body.result.features[i], m.effectiveTime]));
    return out;
  }

  test("a tiled window's effective time is the end of the last complete tile, and moves with the clock", async () => {
    await pushTxn("alice", 10);
    for (const [now, expected, value] of [
      [T0 + 9 * MIN, "2023-11-14T00:00:00Z", null],
      [T0 + 10 * MIN, "2023-11-14T00:10:00Z", 10],
      [T0 + 29 * MIN + 59_999, "2023-11-14T00:20:00Z", 10],
      [T0 + 30 * MIN, "2023-11-14T00:30:00Z", 10],
      [T0 + 24 * 60 * MIN, "2023-11-15T00:00:00Z", 10],
      [T0 + 24 * 60 * MIN + 10 * MIN, "2023-11-15T00:10:00Z", null],
    ] as const) {
      await setClock(server, now);
      const t = await times();
      assert.deepEqual(t["user_txn.amt_mean_1d_10m"], [value, expected], new Date(now).toISOString());
      assert.equal(t["user_txn.txn_count_1h_10m"]![1], expected, "every feature with a 10m interval shares the boundary");
    }
  });

  test("continuous and lifetime windows report the table's latest event; nothing before the first event", async () => {
    let t = await times();
    assert.equal(t["user_txn.amt_sum_1h"]![1], undefined);
    assert.equal(t["user_txn.qty_sum"]![1], undefined);
    assert.equal(t["user_txn.amt_mean_1d_10m"]![1], "2023-11-14T00:00:00Z", "a tiled window needs no event to be anchored");
    await setClock(server, T0 + 3 * MIN + 250);
    await pushTxn("someone-else", 1);
    await setClock(server, T0 + 7 * MIN);
    t = await times();
    assert.equal(t["user_txn.amt_sum_1h"]![1], "2023-11-14T00:03:00.250Z");
    assert.equal(t["user_txn.qty_sum"]![1], "2023-11-14T00:03:00.250Z");
  });

  test("aggregationLeadingEdge LATEST_EVENT_TIME ends tiled windows at the table's latest event", async () => {
    await pushTxn("alice", 10);
    await setClock(server, T0 + 2 * MIN);
    await pushTxn("alice", 20);
    await setClock(server, T0 + 12 * MIN);
    await pushTxn("alice", 90);
    await setClock(server, T0 + 45 * MIN);
    const wall = await times();
    assert.deepEqual(wall["user_txn.amt_mean_1d_10m"], [40, "2023-11-14T00:40:00Z"]);
    for (const edge of ["AGGREGATION_MODE_LATEST_EVENT_TIME", 2]) {
      const latest = await times({ requestOptions: { aggregationLeadingEdge: edge } });
      assert.deepEqual(latest["user_txn.amt_mean_1d_10m"], [15, "2023-11-14T00:10:00Z"], `tile [00:10, 00:20) is not complete at the latest event (edge ${edge})`);
      assert.deepEqual(latest["user_txn.txn_count_1h_10m"], ["2", "2023-11-14T00:10:00Z"]);
      assert.deepEqual(latest["checks.mean_or_null"], [15, undefined], "realtime views read the same window");
    }
    const explicitWall = await times({ request_options: { aggregation_leading_edge: "AGGREGATION_MODE_WALL_CLOCK_TIME" } });
    assert.deepEqual(explicitWall, wall);
  });
});

describe("Metadata", () => {
  const FRAUD_METADATA = {
    featureServiceType: "DEFAULT",
    inputJoinKeys: [{ name: "user", dataType: { type: "string" } }],
    inputRequestContextKeys: [
      { name: "amt", dataType: { type: "float64" } },
      { name: "n", dataType: { type: "int64" } },
      { name: "ts", dataType: { type: "timestamp" } },
      { name: "channel", dataType: { type: "string" } },
    ],
  };

  test("join keys, request context keys and the output schema, in get-features order, on every path", async () => {
    const v1 = await post(server, METADATA, { params: { featureServiceName: "fraud", workspaceName: "prod" } });
    assert.equal(v1.status, 200, v1.text);
    assert.deepEqual({ ...v1.body, featureValues: undefined }, { ...FRAUD_METADATA, featureValues: undefined });
    assert.deepEqual(v1.body.featureValues.map((f: { name: string }) => f.name), FRAUD_NAMES);
    assert.deepEqual(v1.body.featureValues[FRAUD_NAMES.indexOf("user_txn.recent_qty")], { name: "user_txn.recent_qty", dataType: { type: "array", elementType: { type: "int64" } } });
    const noApi = await post(server, "/v1/feature-service/metadata", { params: { feature_service_name: "fraud" } }, {});
    assert.equal(noApi.text, v1.text);
    const v2 = await get(server, "/api/v2/workspaces/prod/feature-services/fraud/metadata");
    assert.equal(v2.text, v1.text);
    const features = await fraud({ includeNames: true, includeDataTypes: true });
    assert.deepEqual(v1.body.featureValues, features.body.metadata.features, "the same names and types as get-features");
  });

  test("empty key lists are omitted", async () => {
    const devices = await post(server, METADATA, { params: { featureServiceName: "devices" } });
    assert.deepEqual(devices.body, {
      featureServiceType: "DEFAULT",
      inputJoinKeys: [{ name: "device", dataType: { type: "int64" } }],
      featureValues: [{ name: "device_clicks.clicks", dataType: { type: "int64" } }],
    });
    const calc = await get(server, "/api/v2/workspaces/prod/feature-services/calc/metadata");
    assert.deepEqual(calc.body, {
      featureServiceType: "DEFAULT",
      inputRequestContextKeys: [{ name: "x", dataType: { type: "int64" } }],
      featureValues: [{ name: "pure.doubled", dataType: { type: "int64" } }],
    });
    const r = await getFeatures(server, { featureServiceName: "calc", requestContextMap: { x: "21" } });
    assert.deepEqual(r.body, { result: { features: ["42"] } });
  });

  test("an unknown service, one with online serving off, or an unknown workspace is Tecton's 404", async () => {
    for (const [path, body] of [
      [METADATA, { params: { featureServiceName: "nope" } }],
      [METADATA, { params: { featureServiceName: "offline" } }],
      [METADATA, { params: { featureServiceName: "fraud", workspaceName: "staging" } }],
    ] as const) {
      const r = await post(server, path, body);
      const fs = body.params.featureServiceName;
      const ws = "workspaceName" in body.params ? body.params.workspaceName : "prod";
      const message = `Unable to query FeatureService \`${fs}\` for workspace \`${ws}\`. Newly created feature services may take up to 60 seconds to query. Also, ensure that the workspace is a "live" workspace.`;
      assert.equal(r.status, 404);
      assert.deepEqual(r.body, { error: message, code: 5, message });
    }
    const v2 = await get(server, "/api/v2/workspaces/prod/feature-services/nope/metadata");
    assert.equal(v2.status, 404);
    assert.equal(v2.body.code, 5);
  });
});
