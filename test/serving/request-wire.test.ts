import assert from "node:assert/strict";
import * as http from "node:http";
import { after, before, describe, test } from "node:test";
import { setTimeout as sleep } from "node:timers/promises";
import { spawnServer, type SpawnedServer } from "../helpers/spawn-server.ts";
import { CONTEXT, GET_FEATURES, getFeatures, MIN, NODES, ok, post, push, register, setClock, T0, type Reply } from "./helpers.ts";

/** Tecton's request wire (tecton-behaviour.md §1.3) and its errors (§1.4–1.5), over REST. */

let server: SpawnedServer;
before(async () => {
  server = await spawnServer();
  await setClock(server, T0 + MIN);
  await register(server, [...NODES, { kind: "realtime", name: "pure", request_schema: { fields: { x: "i64" } }, features: { doubled: "x * 2" } }, { kind: "feature_service", name: "calc", features: [{ realtime: "pure" }] }]);
  await push(server, "click", { user: "u1", device: 7, page: "p" });
  await push(server, "txn", { user: "u1", merchant: "m", amt: 3, qty: 4, flag: true });
});
after(async () => {
  await server.stop();
});

const DEVICES_OK = { result: { features: ["1"] } };

function assertGatewayError(r: Reply, status: number, code: number, message: string): void {
  assert.equal(r.status, status, r.text);
  assert.deepEqual(r.body, { error: message, code, message });
}

describe("request envelope", () => {
  test("camelCase, snake_case and mixtures; unknown fields ignored; null maps are absent", async () => {
    for (const params of [
      { featureServiceName: "devices", workspaceName: "prod", joinKeyMap: { device: "7" } },
      { feature_service_name: "devices", workspace_name: "prod", join_key_map: { device: "7" }, request_context_map: null, metadata_options: null },
      { featureServiceName: "devices", join_key_map: { device: 7 }, requestOptions: { writeFromCache: true, latency_budget_ms: "2000", readFromCache: false }, somethingNew: { a: 1 } },
      { featureServiceName: "devices", workspaceName: "", joinKeyMap: { device: "7" }, metadataOptions: { includeShinyThing: true }, allowPartialResults: true, isCallerBatch: false },
    ]) {
      const r = await getFeatures(server, params);
      assert.equal(r.status, 200, `${JSON.stringify(params)}: ${r.text}`);
      assert.deepEqual(r.body, DEVICES_OK);
    }
    const calc = await post(server, GET_FEATURES, { params: { feature_service_name: "calc", join_key_map: null, request_context_map: { x: 4 } }, extra: true });
    assert.deepEqual(calc.body, { result: { features: ["8"] } }, "a service without join keys takes a null join_key_map");
  });

  test("the body is JSON whatever the Content-Type; featureServiceId names the service too", async () => {
    const body = JSON.stringify({ params: { featureServiceId: "devices", joinKeyMap: { device: "7" } } });
    for (const headers of [{} as Record<string, string>, { "content-type": "application/x-www-form-urlencoded" }, { "content-type": "text/plain" }, { "content-type": "application/json; charset=utf-8" }]) {
      const r = await post(server, GET_FEATURES, body, headers);
      assert.equal(r.status, 200, r.text);
      assert.deepEqual(r.body, DEVICES_OK);
    }
  });

  test("v1 with and without /api and v2 answer alike; v2 takes the workspace and service from the path", async () => {
    const params = { featureServiceName: "fraud", joinKeyMap: { user: "u1" }, requestContextMap: CONTEXT, metadataOptions: { includeNames: true, includeServingStatus: true } };
    const api = await getFeatures(server, params);
    assert.equal(api.status, 200, api.text);
    assert.equal((await getFeatures(server, params, "/v1/feature-service/get-features")).text, api.text);
    assert.equal((await getFeatures(server, params, "/api/v1/feature-service/get-features/")).text, api.text, "a trailing slash is ignored");
    const v2 = await getFeatures(server, { ...params, featureServiceName: "devices", workspaceName: "elsewhere" }, "/api/v2/workspaces/prod/feature-services/fraud/get-features");
    assert.equal(v2.text, api.text);
    const colon = await getFeatures(server, { joinKeyMap: { user: "u1", device: "7" } }, `/api/v2/workspaces/prod/feature-services/${encodeURIComponent("combo:v2")}/get-features`);
    assert.equal(colon.status, 200, colon.text);
  });
});

describe("errors carry Tecton's messages in grpc-gateway bodies", () => {
  const fraud = (joinKeyMap: unknown, requestContextMap: unknown = CONTEXT) => getFeatures(server, { featureServiceName: "fraud", joinKeyMap, requestContextMap });

  test("join keys: missing, unknown, wrong JSON type, bad int64 text", async () => {
    assertGatewayError(await fraud({}), 400, 3, "Missing required join key: user");
    assertGatewayError(await fraud(null), 400, 3, "Missing required join key: user");
    assertGatewayError(await fraud({ user: "u1", merchant: "m" }), 400, 3, "Unknown join key: merchant, expected one of: [user]");
    const combo = (joinKeyMap: unknown) => getFeatures(server, { featureServiceName: "combo:v2", joinKeyMap });
    assertGatewayError(await combo({ user: "u1" }), 400, 3, "Missing required join key: device");
    assertGatewayError(await combo({ usr: "u1", device: "7" }), 400, 3, "Unknown join key: usr, expected one of: [user device]");
    assertGatewayError(await combo({ user: "u1", device: true }), 400, 3, "Unexpected JSON type for device in joinKeyMap. Expected int64 or null");
    assertGatewayError(await combo({ user: "u1", device: 1.5 }), 400, 3, "Unexpected JSON type for device in joinKeyMap. Expected int64 or null");
    assertGatewayError(await combo({ user: 5, device: "7" }), 400, 3, "Unexpected JSON type for user in joinKeyMap. Expected string or null");
    assertGatewayError(await combo({ user: "u1", device: "7x" }), 400, 3, 'Invalid int64 value for device in joinKeyMap: "7x"');
  });

  test("request context: missing keys, wrong JSON type, bad values; extra keys are ignored", async () => {
    assertGatewayError(await fraud({ user: "u1" }, { amt: 1, channel: "web" }), 400, 3, "Expected key not found: [n ts] in requestContextMap");
    assertGatewayError(await fraud({ user: "u1" }, null), 400, 3, "Expected key not found: [amt n ts channel] in requestContextMap");
    assertGatewayError(await fraud({ user: "u1" }, { ...CONTEXT, amt: true }), 400, 3, "Unexpected JSON type for amt in requestContextMap. Expected float64 or null");
    assertGatewayError(await fraud({ user: "u1" }, { ...CONTEXT, amt: "lots" }), 400, 3, 'Invalid float64 value for amt in requestContextMap: "lots"');
    assertGatewayError(await fraud({ user: "u1" }, { ...CONTEXT, n: 2.5 }), 400, 3, "Unexpected JSON type for n in requestContextMap. Expected int64 or null");
    assertGatewayError(await fraud({ user: "u1" }, { ...CONTEXT, channel: ["web"] }), 400, 3, "Unexpected JSON type for channel in requestContextMap. Expected string or null");
    const extra = await fraud({ user: "u1" }, { ...CONTEXT, unused: { deep: [1] } });
    assert.equal(extra.status, 200, extra.text);
    const devices = await getFeatures(server, { featureServiceName: "devices", joinKeyMap: { device: "7" }, requestContextMap: { amount: 2000 } });
    assert.deepEqual(devices.body, DEVICES_OK, "a service without realtime views ignores the request context");
  });

  test("exactly one of featureServiceName and featureServiceId", async () => {
    const message = "Exactly one of featureServiceName and featureServiceId must be set";
    assertGatewayError(await getFeatures(server, { joinKeyMap: { device: "7" } }), 400, 3, message);
    assertGatewayError(await getFeatures(server, { featureServiceName: "devices", featureServiceId: "devices" }), 400, 3, message);
    assertGatewayError(await post(server, GET_FEATURES, {}), 400, 3, message);
    assertGatewayError(await post(server, "/api/v1/feature-service/metadata", { params: { featureServiceName: "", featureServiceId: "" } }), 400, 3, message);
  });

  test("unknown services and workspaces are 404 with Tecton's live-workspace hint", async () => {
    const message = (fs: string, ws: string) =>
      `Unable to query FeatureService \`${fs}\` for workspace \`${ws}\`. Newly created feature services may take up to 60 seconds to query. Also, ensure that the workspace is a "live" workspace.`;
    assertGatewayError(await getFeatures(server, { featureServiceName: "fraud_detection_feature", joinKeyMap: {} }), 404, 5, message("fraud_detection_feature", "prod"));
    assertGatewayError(await getFeatures(server, { featureServiceName: "offline", joinKeyMap: { device: "7" } }), 404, 5, message("offline", "prod"));
    assertGatewayError(await getFeatures(server, { featureServiceName: "devices", workspaceName: "nowhere" }), 404, 5, message("devices", "nowhere"));
    assertGatewayError(await getFeatures(server, {}, "/api/v2/workspaces/nowhere/feature-services/devices/get-features"), 404, 5, message("devices", "nowhere"));
  });

  test("malformed bodies and params are INVALID_ARGUMENT", async () => {
    for (const body of ["", "{", "[1]", '"params"', JSON.stringify({ params: [] }), JSON.stringify({ params: "x" })]) {
      const r = await post(server, GET_FEATURES, body);
      assert.equal(r.status, 400, body);
      assert.equal(r.body.code, 3, body);
      assert.equal(r.body.error, r.body.message);
    }
    const bad = async (params: Record<string, unknown>, message: string) => assertGatewayError(await getFeatures(server, { featureServiceName: "devices", joinKeyMap: { device: "7" }, ...params }), 400, 3, message);
    await bad({ featureServiceName: 5 }, "params.featureServiceName must be a string");
    await bad({ joinKeyMap: ["7"] }, "params.joinKeyMap must be a JSON object");
    await bad({ metadataOptions: { includeNames: "yes" } }, "params.metadataOptions.includeNames must be true or false");
    await bad({ requestOptions: { latencyBudgetMs: "soon" } }, "params.requestOptions.latencyBudgetMs must be an integer (a JSON number or a decimal string)");
    await bad({ requestOptions: { latencyBudgetMs: -5 } }, "params.requestOptions.latencyBudgetMs must not be negative");
    await bad({ requestOptions: { aggregationLeadingEdge: "AGGREGATION_MODE_WHENEVER" } }, "params.requestOptions.aggregationLeadingEdge must be AGGREGATION_MODE_WALL_CLOCK_TIME or AGGREGATION_MODE_LATEST_EVENT_TIME");
    await bad({ allowPartialResults: "false" }, "params.allowPartialResults must be true or false");
  });

  test("a wrong method gets a gateway body too", async () => {
    const res = await fetch(`${server.url}${GET_FEATURES}`);
    const body = (await res.json()) as { code: number; error: string; message: string };
    assert.equal(res.status, 501);
    assert.equal(body.code, 12);
    assert.equal(body.error, body.message);
  });
});

/** Sends a POST whose body arrives in two parts `pauseMs` apart (the server's clock starts at the headers). */
function slowPost(path: string, body: unknown, pauseMs: number): Promise<Reply> {
  const payload = Buffer.from(JSON.stringify(body));
  return new Promise((resolve, reject) => {
    const req = http.request(
      { host: server.http.host, port: server.http.port, path, method: "POST", headers: { "content-type": "application/json", "content-length": payload.length } },
      (res) => {
        let text = "";
        res.setEncoding("utf8");
        res.on("data", (c: string) => (text += c));
        res.on("end", () => resolve({ status: res.statusCode!, headers: new Headers(), body: JSON.parse(text), text }));
      },
    );
    req.on("error", reject);
    req.write(payload.subarray(0, 10));
    void sleep(pauseMs).then(() => req.end(payload.subarray(10)));
  });
}

describe("time limits", () => {
  test("latencyBudgetMs: what did not finish in time is null with TIME_OUT, the reply is partial and still 200", async () => {
    const params = {
      featureServiceName: "fraud",
      joinKeyMap: { user: "u1" },
      requestContextMap: CONTEXT,
      metadataOptions: { includeServingStatus: true },
      requestOptions: { latencyBudgetMs: "20" },
    };
    const r = await slowPost(GET_FEATURES, { params }, 80);
    assert.equal(r.status, 200, r.text);
    assert.ok(r.body.result.features.every((v: unknown) => v === null));
    assert.ok(r.body.metadata.features.every((m: { status: string }) => m.status === "TIME_OUT"), r.text);
    assert.equal(r.body.metadata.partialResults, true);
    const fast = await getFeatures(server, { ...params, requestOptions: { latencyBudgetMs: 1500 } });
    assert.ok(fast.body.metadata.features.every((m: { status: string }) => m.status !== "TIME_OUT"), fast.text);
    assert.equal(fast.body.metadata.partialResults, undefined);
    const noMetadata = await slowPost(GET_FEATURES, { params: { ...params, metadataOptions: undefined } }, 80);
    assert.deepEqual(noMetadata.body.metadata, { partialResults: true }, "a partial reply says so even when no metadata was asked for");
  });

  test("without a budget, a request over Tecton's 2 s server timeout fails with 504 Timed out", async () => {
    const r = await slowPost(GET_FEATURES, { params: { featureServiceName: "devices", joinKeyMap: { device: "7" } } }, 2100);
    assertGatewayError(r, 504, 4, "Timed out");
  });
});
