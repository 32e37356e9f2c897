import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { spawnServer, type SpawnedServer } from "../helpers/spawn-server.ts";
import { CONTEXT, GET_FEATURES, GET_FEATURES_BATCH, getFeatures, MIN, NODES, post, push, register, setClock, T0 } from "./helpers.ts";

/** GetFeaturesBatch (tecton-behaviour.md §3) over REST. */

let server: SpawnedServer;
before(async () => {
  server = await spawnServer();
  await setClock(server, T0 + MIN);
  await register(server, NODES);
  await push(server, "txn", { user: "u1", merchant: "m", amt: 3, qty: 4, flag: true });
  await push(server, "txn", { user: "u2", merchant: "n", amt: 9, qty: 1, flag: false });
  await setClock(server, T0 + 12 * MIN);
});
after(async () => {
  await server.stop();
});

const batch = (params: Record<string, unknown>, path = GET_FEATURES_BATCH) => post(server, path, { params });
const row = (user: string, amt: unknown = 5) => ({ joinKeyMap: { user }, requestContextMap: { ...CONTEXT, amt } });

describe("GetFeaturesBatch", () => {
  test("one result per row in request order, each equal to its GetFeatures result", async () => {
    const rows = [row("u1"), row("nobody"), row("u2", 1)];
    const r = await batch({ featureServiceName: "fraud", requestData: rows });
    assert.equal(r.status, 200, r.text);
    assert.deepEqual(Object.keys(r.body), ["result"], "no metadata unless asked for");
    assert.equal(r.body.result.length, 3);
    for (let i = 0; i < rows.length; i++) {
      const single = await post(server, GET_FEATURES, { params: { featureServiceName: "fraud", ...rows[i] } });
      assert.deepEqual(r.body.result[i], single.body.result, `row ${i}`);
    }
  });

  test("metadata: names, types and effective times once per feature, statuses as per-row arrays", async () => {
    const r = await batch({
      feature_service_name: "fraud",
      request_data: [
        { join_key_map: { user: "u1" }, request_context_map: CONTEXT },
        { joinKeyMap: { user: "ghost" }, requestContextMap: CONTEXT },
      ],
      metadataOptions: { includeNames: true, includeDataTypes: true, includeEffectiveTimes: true, includeServingStatus: true },
    });
    assert.equal(r.status, 200, r.text);
    const byName = Object.fromEntries(r.body.metadata.features.map((m: { name: string }) => [m.name, m]));
    assert.deepEqual(byName["user_txn.amt_mean_1d_10m"], {
      name: "user_txn.amt_mean_1d_10m",
      effectiveTime: "2023-11-14T00:10:00Z",
      dataType: { type: "float64" },
      status: ["PRESENT", "MISSING_DATA"],
    });
    assert.deepEqual(byName["checks.is_high"], { name: "checks.is_high", dataType: { type: "boolean" }, status: ["PRESENT", "PRESENT"] });
    assert.deepEqual(Object.keys(r.body.metadata), ["features"]);
  });

  test("includeSloInfo: per-row sloInfo and a batchSloInfo over the whole batch", async () => {
    const r = await batch({ featureServiceName: "fraud", requestData: [row("u1"), row("u2"), row("u3")], metadataOptions: { includeSloInfo: true } });
    const { sloInfo, batchSloInfo } = r.body.metadata;
    assert.equal(sloInfo.length, 3);
    for (const s of sloInfo) {
      assert.deepEqual(Object.keys(s), ["sloEligible", "sloServerTimeSeconds", "serverTimeSeconds", "storeMaxLatency"]);
      assert.equal(s.sloEligible, true);
      assert.ok(s.serverTimeSeconds >= s.sloServerTimeSeconds && s.sloServerTimeSeconds > 0);
    }
    assert.deepEqual(Object.keys(batchSloInfo), ["sloEligible", "sloServerTimeSeconds", "serverTimeSeconds", "storeMaxLatency"]);
    assert.equal(batchSloInfo.sloServerTimeSeconds, Math.max(...sloInfo.map((s: { sloServerTimeSeconds: number }) => s.sloServerTimeSeconds)));
    assert.equal(batchSloInfo.storeMaxLatency, Math.max(...sloInfo.map((s: { storeMaxLatency: number }) => s.storeMaxLatency)));
    assert.ok(batchSloInfo.serverTimeSeconds >= batchSloInfo.sloServerTimeSeconds);
  });

  test("1 to 10 rows; an empty or larger batch is INVALID_ARGUMENT", async () => {
    const ten = await batch({ featureServiceName: "devices", requestData: Array.from({ length: 10 }, (_x, i) => ({ joinKeyMap: { device: String(i) } })) });
    assert.equal(ten.status, 200, ten.text);
    assert.equal(ten.body.result.length, 10);
    const eleven = await batch({ featureServiceName: "devices", requestData: Array.from({ length: 11 }, () => ({ joinKeyMap: { device: "1" } })) });
    const tooMany = "params.requestData holds 11 entries; the maximum batch size is 10";
    assert.equal(eleven.status, 400);
    assert.deepEqual(eleven.body, { error: tooMany, code: 3, message: tooMany });
    const empty = "params.requestData must hold at least one entry";
    for (const requestData of [[], null, undefined]) {
      const r = await batch({ featureServiceName: "devices", requestData });
      assert.equal(r.status, 400);
      assert.deepEqual(r.body, { error: empty, code: 3, message: empty });
    }
  });

  test("an invalid row fails the whole batch with GetFeatures' message", async () => {
    const r = await batch({ featureServiceName: "fraud", requestData: [row("u1"), { joinKeyMap: {}, requestContextMap: CONTEXT }] });
    assert.equal(r.status, 400);
    assert.deepEqual(r.body, { error: "Missing required join key: user", code: 3, message: "Missing required join key: user" });
    const nf = await batch({ featureServiceName: "nope", requestData: [row("u1")] });
    assert.equal(nf.status, 404);
  });

  test("the v2 path and the path without /api", async () => {
    const params = { requestData: [row("u1"), row("u2")], metadataOptions: { includeNames: true } };
    const v1 = await batch({ featureServiceName: "fraud", ...params });
    const v2 = await batch(params, "/api/v2/workspaces/prod/feature-services/fraud/get-features-batch");
    const bare = await batch({ featureServiceName: "fraud", ...params }, "/v1/feature-service/get-features-batch");
    assert.equal(v2.status, 200, v2.text);
    assert.equal(v2.text, v1.text);
    assert.equal(bare.text, v1.text);
  });

  test("request options apply to every row", async () => {
    await setClock(server, T0 + 3 * 60 * MIN);
    const r = await batch({
      featureServiceName: "fraud",
      requestData: [row("u1"), row("ghost")],
      metadataOptions: { includeNames: true },
      requestOptions: { coerceNullCountsToZero: true },
    });
    const i = r.body.metadata.features.findIndex((m: { name: string }) => m.name === "user_txn.txn_count_1h_10m");
    assert.deepEqual(r.body.result.map((x: { features: unknown[] }) => x.features[i]), ["0", "0"]);
    const single = await getFeatures(server, { featureServiceName: "fraud", ...row("u1") });
    assert.equal(single.body.result.features[i], null);
  });
});
