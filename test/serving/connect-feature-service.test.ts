import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { fromJson, toJson, type JsonValue } from "@bufbuild/protobuf";
import { ValueSchema, type Value } from "@bufbuild/protobuf/wkt";
import { Code, ConnectError, createClient } from "@connectrpc/connect";
import { createGrpcTransport } from "@connectrpc/connect-node";
import { FeatureService, FeatureStatus } from "../../gen/tessera/featureservice/v1/feature_service_pb.ts";
import { spawnServer, type SpawnedServer } from "../helpers/spawn-server.ts";
import { CONTEXT, GET_FEATURES, GET_FEATURES_BATCH, METADATA, MIN, NODES, post, push, register, setClock, T0, type Reply } from "./helpers.ts";

/** FeatureService over Connect: its JSON body is the Tecton body, its replies the Tecton replies. */

let server: SpawnedServer;
before(async () => {
  server = await spawnServer();
  await setClock(server, T0 + MIN);
  await register(server, NODES);
  await push(server, "txn", { user: "u1", merchant: "m", amt: 3, qty: 4, flag: true, at: "2023-11-14T00:00:00.5Z", payload: [1] });
  await push(server, "click", { user: "u1", device: 7, page: "p" });
  await setClock(server, T0 + 12 * MIN);
});
after(async () => {
  await server.stop();
});

const RPC = "/tessera.featureservice.v1.FeatureService";
const EVERYTHING_BUT_SLO = {
  includeNames: true,
  includeEffectiveTimes: true,
  includeDataTypes: true,
  includeServingStatus: true,
  includeFeatureDescriptions: true,
  includeFeatureTags: true,
};

function withoutTimes(body: { metadata?: Record<string, unknown> }): unknown {
  const { sloInfo: _s, batchSloInfo: _b, ...metadata } = body.metadata ?? {};
  return { ...body, metadata };
}

describe("Connect JSON bodies equal Tecton bodies", () => {
  test("GetFeatures: the same request body gives the same reply as REST", async () => {
    for (const params of [
      { featureServiceName: "fraud", joinKeyMap: { user: "u1" }, requestContextMap: { ...CONTEXT, amt: "Infinity" }, metadataOptions: EVERYTHING_BUT_SLO },
      { feature_service_name: "fraud", join_key_map: { user: "nobody" }, request_context_map: CONTEXT, metadata_options: { include_names: true, include_serving_status: true } },
      { featureServiceName: "devices", joinKeyMap: { device: 7 }, requestOptions: { latencyBudgetMs: "500", coerceNullCountsToZero: true, aggregationLeadingEdge: "AGGREGATION_MODE_LATEST_EVENT_TIME" } },
      { featureServiceName: "combo:v2", joinKeyMap: { user: "u1", device: "7" }, metadataOptions: { includeEffectiveTimes: true } },
    ]) {
      const rest = await post(server, GET_FEATURES, { params });
      const connect = await post(server, `${RPC}/GetFeatures`, { params });
      assert.equal(rest.status, 200, rest.text);
      assert.equal(connect.status, 200, connect.text);
      assert.deepEqual(connect.body, rest.body, JSON.stringify(params));
    }
  });

  test("sloInfo has the same shape; GetFeaturesBatch and Metadata match too", async () => {
    const params = { featureServiceName: "fraud", joinKeyMap: { user: "u1" }, requestContextMap: CONTEXT, metadataOptions: { includeSloInfo: true, includeNames: true } };
    const connect = await post(server, `${RPC}/GetFeatures`, { params });
    const rest = await post(server, GET_FEATURES, { params });
    assert.deepEqual(withoutTimes(connect.body), withoutTimes(rest.body));
    assert.deepEqual(Object.keys(connect.body.metadata.sloInfo), Object.keys(rest.body.metadata.sloInfo));
    assert.equal(connect.body.metadata.sloInfo.sloEligible, true);

    const batch = {
      featureServiceName: "fraud",
      requestData: [
        { joinKeyMap: { user: "u1" }, requestContextMap: CONTEXT },
        { join_key_map: { user: "u2" }, request_context_map: { ...CONTEXT, amt: "NaN" } },
      ],
      metadataOptions: { ...EVERYTHING_BUT_SLO, includeSloInfo: true },
    };
    const cb = await post(server, `${RPC}/GetFeaturesBatch`, { params: batch });
    const rb = await post(server, GET_FEATURES_BATCH, { params: batch });
    assert.equal(cb.status, 200, cb.text);
    assert.deepEqual(withoutTimes(cb.body), withoutTimes(rb.body));
    assert.equal(cb.body.metadata.sloInfo.length, 2);
    assert.deepEqual(Object.keys(cb.body.metadata.batchSloInfo), ["sloEligible", "sloServerTimeSeconds", "serverTimeSeconds", "storeMaxLatency"]);

    const cm = await post(server, `${RPC}/Metadata`, { params: { featureServiceName: "fraud" } });
    const rm = await post(server, METADATA, { params: { featureServiceName: "fraud" } });
    assert.equal(cm.text, rm.text);
  });

  test("errors use Connect's JSON error shape with the same gRPC code and message", async () => {
    const expect = async (r: Reply, code: string, message: string): Promise<void> => {
      assert.equal(r.body.code, code, r.text);
      assert.equal(r.body.message, message);
    };
    await expect(await post(server, `${RPC}/GetFeatures`, { params: { featureServiceName: "fraud", joinKeyMap: {}, requestContextMap: CONTEXT } }), "invalid_argument", "Missing required join key: user");
    await expect(
      await post(server, `${RPC}/GetFeatures`, { params: { featureServiceName: "nope" } }),
      "not_found",
      'Unable to query FeatureService `nope` for workspace `prod`. Newly created feature services may take up to 60 seconds to query. Also, ensure that the workspace is a "live" workspace.',
    );
    await expect(await post(server, `${RPC}/GetFeaturesBatch`, { params: { featureServiceName: "devices", requestData: [] } }), "invalid_argument", "params.requestData must hold at least one entry");
    await expect(await post(server, `${RPC}/Metadata`, { params: {} }), "invalid_argument", "Exactly one of featureServiceName and featureServiceId must be set");
  });

  test("request messages get the checks and messages of the REST bodies", async () => {
    const devices = { featureServiceName: "devices", joinKeyMap: { device: "7" } };
    for (const [params, message] of [
      [{ ...devices, featureServiceId: "devices" }, "Exactly one of featureServiceName and featureServiceId must be set"],
      [{ ...devices, joinKeyMap: { device: true } }, "Unexpected JSON type for device in joinKeyMap. Expected int64 or null"],
      [{ ...devices, joinKeyMap: { device: "7", dev: "8" } }, "Unknown join key: dev, expected one of: [device]"],
      [{ ...devices, requestOptions: { latencyBudgetMs: "-5" } }, "params.requestOptions.latencyBudgetMs must not be negative"],
      [{ ...devices, requestOptions: { aggregationLeadingEdge: 7 } }, "params.requestOptions.aggregationLeadingEdge must be AGGREGATION_MODE_WALL_CLOCK_TIME or AGGREGATION_MODE_LATEST_EVENT_TIME"],
      [{ featureServiceName: "fraud", joinKeyMap: { user: "u1" }, requestContextMap: { amt: 1 } }, "Expected key not found: [n ts channel] in requestContextMap"],
    ] as const) {
      const connect = await post(server, `${RPC}/GetFeatures`, { params });
      const rest = await post(server, GET_FEATURES, { params });
      assert.equal(rest.status, 400, rest.text);
      assert.deepEqual([connect.body.code, connect.body.message], ["invalid_argument", message], JSON.stringify(params));
      assert.equal(rest.body.message, message);
    }
    const tooMany = { featureServiceName: "devices", requestData: Array.from({ length: 11 }, () => ({ joinKeyMap: { device: "7" } })) };
    const batch = await post(server, `${RPC}/GetFeaturesBatch`, { params: tooMany });
    assert.deepEqual([batch.body.code, batch.body.message], ["invalid_argument", "params.requestData holds 11 entries; the maximum batch size is 10"]);
  });

  test("null join keys and null request fields flow as null, as on REST", async () => {
    const params = { featureServiceName: "fraud", joinKeyMap: { user: null }, requestContextMap: { amt: null, n: null, ts: null, channel: null }, metadataOptions: { includeServingStatus: true } };
    const connect = await post(server, `${RPC}/GetFeatures`, { params });
    const rest = await post(server, GET_FEATURES, { params });
    assert.equal(connect.status, 200, connect.text);
    assert.deepEqual(connect.body, rest.body);
  });
});

describe("gRPC", () => {
  const value = (v: JsonValue): Value => fromJson(ValueSchema, v);
  const key = (device: JsonValue) => ({ device: value(device) });

  test("typed messages: values as google.protobuf.Value, statuses as enums, errors as status codes", async () => {
    const client = createClient(FeatureService, createGrpcTransport({ baseUrl: server.url }));
    const r = await client.getFeatures({
      params: {
        featureServiceName: "devices",
        joinKeyMap: key(7),
        metadataOptions: { includeNames: true, includeServingStatus: true, includeEffectiveTimes: true },
      },
    });
    assert.deepEqual(r.result?.features.map((v) => toJson(ValueSchema, v)), ["1"]);
    assert.equal(r.metadata?.features[0]?.name, "device_clicks.clicks");
    assert.equal(r.metadata?.features[0]?.status, FeatureStatus.PRESENT);
    assert.equal(r.metadata?.features[0]?.effectiveTime?.seconds, BigInt((T0 + MIN) / 1000));
    const m = await client.metadata({ params: { featureServiceName: "combo:v2" } });
    assert.deepEqual(m.inputJoinKeys.map((k) => [k.name, k.dataType?.type]), [["user", "string"], ["device", "int64"]]);
    for (const [call, code] of [
      [() => client.getFeatures({ params: { featureServiceName: "devices", joinKeyMap: { dev: value("7") } } }), Code.InvalidArgument],
      [() => client.getFeatures({ params: { featureServiceName: "offline", joinKeyMap: key("7") } }), Code.NotFound],
      [() => client.getFeaturesBatch({ params: { featureServiceName: "devices", requestData: Array.from({ length: 11 }, () => ({ joinKeyMap: key("7") })) } }), Code.InvalidArgument],
    ] as const) {
      await assert.rejects(call(), (e: unknown) => e instanceof ConnectError && e.code === code);
    }
  });
});
