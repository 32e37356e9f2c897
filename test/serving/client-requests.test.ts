import assert from "node:assert/strict";
import { readdirSync, readFileSync } from "node:fs";
import * as http from "node:http";
import { after, before, describe, test } from "node:test";
import { spawnServer, type SpawnedServer } from "../helpers/spawn-server.ts";
import { MIN, ok, setClock, T0 } from "./helpers.ts";

/**
 * Requests captured from each official Tecton client's documented request format are accepted and
 * answered with the documented response shape. The requests are the files in fixtures/ (each cites
 * where in reference/tecton-behaviour.md and the seed its body and headers come from), sent byte for
 * byte with their headers (Authorization included: auth is off here, so it must not disturb
 * anything). The registries below give each fixture the feature service its source assumes, named as
 * Tecton's samples name them.
 */

const HOUR = 60 * MIN;
const DAY = 24 * HOUR;
/** Every read: a day and a half after T0, so the day tile of T0 is complete and recent events fall in the last hour. */
const READ_AT = T0 + DAY + 12 * HOUR;
const RECENT = T0 + DAY + 11 * HOUR + 5 * MIN;

// --- registries ------------------------------------------------------------------------------------

const tiled = (op: string, window: string, interval: string, params: Record<string, unknown> = {}) => ({ op, params: { ...params, window, interval } });
const table = (name: string, upstream: string, keys: string[], agg: Record<string, unknown>) => ({
  kind: "derivation",
  name,
  output_kind: "table",
  upstreams: [upstream],
  table_primary_key: keys,
  ops: [{ op: "group_by", keys, agg }],
});

/**
 * tecton-sample-repo's fraud service (the seed's Metadata sample), plus the README service of the
 * Python client (`fraud_detection_feature_service:v2`, request context `amount`) and a service of
 * request-time features only. Aggregations are declared out of order on purpose (serving orders them).
 */
const SAMPLE = [
  { kind: "event", name: "transaction", schema: { fields: { user_id: "str", merchant: "str", amt: "f64", is_fraud: "i64", transaction_id: "str" } } },
  table("user_transaction_amount_metrics", "transaction", ["user_id"], {
    amt_sum_3d_10m: tiled("sum", "3d", "10m", { field: "amt" }),
    amt_mean_1h_10m: tiled("mean", "1h", "10m", { field: "amt" }),
    amt_sum_1d_10m: tiled("sum", "1d", "10m", { field: "amt" }),
    amt_mean_3d_10m: tiled("mean", "3d", "10m", { field: "amt" }),
    amt_mean_1d_10m: tiled("mean", "1d", "10m", { field: "amt" }),
    amt_sum_1h_10m: tiled("sum", "1h", "10m", { field: "amt" }),
  }),
  table("merchant_fraud_rate", "transaction", ["merchant"], {
    is_fraud_mean_90d_1d: tiled("mean", "90d", "1d", { field: "is_fraud" }),
    is_fraud_mean_1d_1d: tiled("mean", "1d", "1d", { field: "is_fraud" }),
    is_fraud_mean_30d_1d: tiled("mean", "30d", "1d", { field: "is_fraud" }),
  }),
  table("user_distinct_merchant_transaction_count_30d", "transaction", ["user_id"], {
    distinct_merchant_transaction_count_30d: tiled("n_unique", "30d", "1d", { field: "merchant" }),
  }),
  table("user_transaction_counts", "transaction", ["user_id"], {
    transaction_id_last_3_1d_1d: tiled("last_distinct_n", "1d", "1d", { field: "transaction_id", n: 3 }),
  }),
  {
    kind: "realtime",
    name: "transaction_amount_is_higher_than_average",
    request_schema: { fields: { amt: "f64" } },
    tables: ["user_transaction_amount_metrics"],
    features: { transaction_amount_is_higher_than_average: "amt > coalesce(user_transaction_amount_metrics.amt_mean_1d_10m, 0.0)" },
    description: "Whether the transaction amount is above the user's one-day mean",
    tags: { release: "production" },
  },
  {
    kind: "realtime",
    name: "transaction_amount_is_high",
    request_schema: { fields: { amount: "f64" } },
    tables: ["user_transaction_amount_metrics"],
    features: { transaction_amount_is_high: "amount > coalesce(user_transaction_amount_metrics.amt_mean_1d_10m, 0.0)" },
  },
  { kind: "realtime", name: "amount_checks", request_schema: { fields: { amt: "f64" } }, features: { is_large: "amt > 1000.0", amt_echo: "amt" } },
  {
    kind: "feature_service",
    name: "fraud_detection_feature_service",
    features: [
      { table: "user_transaction_counts" },
      { table: "user_transaction_amount_metrics" },
      { realtime: "transaction_amount_is_higher_than_average" },
      { table: "merchant_fraud_rate" },
      { table: "user_distinct_merchant_transaction_count_30d" },
    ],
  },
  { kind: "feature_service", name: "fraud_detection_feature_service:v2", features: [{ table: "user_transaction_amount_metrics" }, { realtime: "transaction_amount_is_high" }] },
  { kind: "feature_service", name: "transaction_checks", features: [{ realtime: "amount_checks" }] },
];

/** The service the reference's GetFeatures request sample queries: join keys user_id and an int64 ad_id, request context `amount`. */
const ADS = [
  { kind: "event", name: "ad_impression", schema: { fields: { user_id: "str", ad_id: "i64", clicked: "i64" } } },
  table("user_ad_impression_counts", "ad_impression", ["user_id", "ad_id"], {
    impression_count_1d_1h: tiled("count", "1d", "1h"),
    clicked_sum_1d_1h: tiled("sum", "1d", "1h", { field: "clicked" }),
  }),
  table("ad_click_rate", "ad_impression", ["ad_id"], { clicked_mean_7d_1d: tiled("mean", "7d", "1d", { field: "clicked" }) }),
  { kind: "realtime", name: "amount_is_large", request_schema: { fields: { amount: "f64" } }, features: { amount_is_large: "amount > 100.0" } },
  { kind: "feature_service", name: "fraud_detection_feature_service", features: [{ table: "user_ad_impression_counts" }, { realtime: "amount_is_large" }, { table: "ad_click_rate" }] },
];

/** The service the reference's GetFeaturesBatch request sample queries: join key user_uuid, no realtime features. */
const IMPRESSIONS = [
  { kind: "event", name: "impression", schema: { fields: { user_uuid: "str", ad_id: "str", clicked: "i64" } } },
  table("user_ad_impression_counts", "impression", ["user_uuid"], {
    impression_count_1d_1h: tiled("count", "1d", "1h"),
    impression_count_1h_1h: tiled("count", "1h", "1h"),
    impression_count_3d_1h: tiled("count", "3d", "1h"),
  }),
  table("user_click_counts", "impression", ["user_uuid"], {
    clicked_count_1d_1h: tiled("count", "1d", "1h", { where: "clicked == 1" }),
    clicked_count_1h_1h: tiled("count", "1h", "1h", { where: "clicked == 1" }),
    clicked_count_3d_1h: tiled("count", "3d", "1h", { where: "clicked == 1" }),
  }),
  table("user_distinct_ad_count_7d", "impression", ["user_uuid"], { distinct_ad_count: tiled("n_unique", "7d", "1d", { field: "ad_id" }) }),
  { kind: "feature_service", name: "fraud_detection_feature_service", features: [{ table: "user_click_counts" }, { table: "user_ad_impression_counts" }, { table: "user_distinct_ad_count_7d" }] },
];

type Registry = "sample" | "ads" | "impressions";

interface Push {
  readonly at: number;
  readonly event: string;
  readonly data: Record<string, unknown>;
}

const DATA: Record<Registry, { nodes: unknown[]; pushes: Push[] }> = {
  sample: {
    nodes: SAMPLE,
    pushes: [
      ...[
        ["user_656020174537", "fraud_Cummerata-Jones", 10, 0, "t1"],
        ["user_656020174537", "fraud_Grimes LLC", 20, 1, "t2"],
        ["user_394495759023", "fraud_Marks Inc", 100, 0, "t3"],
        ["user_4407104885", "fraud_Thiel Ltd", 100, 0, "t4"],
      ].map(([user_id, merchant, amt, is_fraud, transaction_id]) => ({ at: T0 + MIN, event: "transaction", data: { user_id, merchant, amt, is_fraud, transaction_id } })),
      ...[
        ["user_656020174537", "fraud_Bins-Rice", 30, 0, "t5"],
        ["user_4407104885", "fraud_Thiel Ltd", 300, 1, "t6"],
      ].map(([user_id, merchant, amt, is_fraud, transaction_id]) => ({ at: RECENT, event: "transaction", data: { user_id, merchant, amt, is_fraud, transaction_id } })),
    ],
  },
  ads: {
    nodes: ADS,
    pushes: [
      { at: T0 + MIN, event: "ad_impression", data: { user_id: "A123", ad_id: 5417, clicked: 1 } },
      { at: RECENT, event: "ad_impression", data: { user_id: "A123", ad_id: 5417, clicked: 0 } },
    ],
  },
  impressions: {
    nodes: IMPRESSIONS,
    pushes: [
      { at: T0 + MIN, event: "impression", data: { user_uuid: "6c423390-9a64-52c8-9bb3-bbb108c74198", ad_id: "ad-1", clicked: 1 } },
      { at: RECENT, event: "impression", data: { user_uuid: "6c423390-9a64-52c8-9bb3-bbb108c74198", ad_id: "ad-2", clicked: 0 } },
    ],
  },
};

// --- fixtures --------------------------------------------------------------------------------------

interface Fixture {
  readonly file: string;
  readonly method: string;
  readonly path: string;
  readonly headers: Record<string, string>;
  readonly body: Buffer;
}

const FIXTURES = new URL("./fixtures/", import.meta.url);

/** A fixture file: `#` comment lines, the request line, headers, a blank line, the body (its last newline is the file's). */
function readFixture(file: string): Fixture {
  const lines = readFileSync(new URL(file, FIXTURES), "utf8").split("\n");
  let i = 0;
  while (lines[i]!.startsWith("#")) i++;
  const [method, path] = lines[i++]!.split(" ") as [string, string];
  const headers: Record<string, string> = {};
  for (; lines[i] !== ""; i++) {
    const line = lines[i]!;
    const colon = line.indexOf(":");
    headers[line.slice(0, colon).toLowerCase()] = line.slice(colon + 1).trim();
  }
  const body = lines.slice(i + 1).join("\n").replace(/\n$/, "");
  return { file, method, path, headers, body: Buffer.from(body, "utf8") };
}

interface Reply {
  readonly status: number;
  readonly contentType: string | undefined;
  readonly body: any;
  readonly text: string;
}

function send(server: SpawnedServer, f: Fixture): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const headers = { ...f.headers, host: `${server.http.host}:${server.http.port}` } as Record<string, string>;
    if (f.method !== "GET") headers["content-length"] = String(f.body.length);
    const req = http.request({ host: server.http.host, port: server.http.port, method: f.method, path: f.path, headers }, (res) => {
      const chunks: Buffer[] = [];
      res.on("data", (c: Buffer) => chunks.push(c));
      res.on("end", () => {
        const text = Buffer.concat(chunks).toString("utf8");
        resolve({ status: res.statusCode!, contentType: res.headers["content-type"], body: JSON.parse(text), text });
      });
    });
    req.on("error", reject);
    req.end(f.method === "GET" ? undefined : f.body);
  });
}

// --- the documented shapes ---------------------------------------------------------------------------

/** A flag of a fixture's metadataOptions, read in either casing (independently of the server's parser). */
function flag(params: any, camel: string): boolean {
  const m = params.metadataOptions ?? params.metadata_options ?? {};
  return (m[camel] ?? m[camel.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`)]) === true;
}

const SLO_KEYS = ["sloEligible", "sloServerTimeSeconds", "serverTimeSeconds", "storeMaxLatency"];
const STATUSES = ["PRESENT", "MISSING_DATA", "UNKNOWN", "TIME_OUT"];

/**
 * metadata.features of a reply (tecton-behaviour.md §2.2, §2.3, §3): one entry per feature, each with
 * exactly the members asked for; names have exactly one dot; no effectiveTime on realtime features.
 */
function checkFeatureEntries(entries: any[], params: any, count: number, realtime: readonly string[], batchRows: number | undefined): void {
  assert.equal(entries.length, count);
  for (const e of entries) {
    const expected: string[] = [];
    if (flag(params, "includeNames")) expected.push("name");
    const isRealtime = realtime.some((r) => String(e.name ?? "").startsWith(`${r}.`));
    if (flag(params, "includeEffectiveTimes") && !isRealtime) expected.push("effectiveTime");
    if (flag(params, "includeDataTypes")) expected.push("dataType");
    if (flag(params, "includeServingStatus")) expected.push("status");
    assert.deepEqual(Object.keys(e), expected, JSON.stringify(e));
    if (e.name !== undefined) assert.equal(e.name.split(".").length, 2, e.name);
    if (e.effectiveTime !== undefined) assert.match(e.effectiveTime, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d{3})?Z$/);
    if (e.dataType !== undefined) assert.equal(typeof e.dataType.type, "string");
    if (batchRows === undefined && e.status !== undefined) assert.ok(STATUSES.includes(e.status), e.status);
    if (batchRows !== undefined && e.status !== undefined) {
      assert.equal(e.status.length, batchRows, "batch statuses are per row");
      for (const s of e.status) assert.ok(STATUSES.includes(s), s);
    }
  }
}

function checkGetFeatures(r: Reply, params: any, count: number, realtime: readonly string[]): void {
  assert.deepEqual(r.body.result.features.length, count);
  const wantsEntries = ["includeNames", "includeEffectiveTimes", "includeDataTypes", "includeServingStatus"].some((f) => flag(params, f));
  const metadataKeys = [...(wantsEntries ? ["features"] : []), ...(flag(params, "includeSloInfo") ? ["sloInfo"] : [])];
  assert.deepEqual(Object.keys(r.body), metadataKeys.length === 0 ? ["result"] : ["result", "metadata"]);
  if (metadataKeys.length === 0) return;
  assert.deepEqual(Object.keys(r.body.metadata), metadataKeys);
  if (wantsEntries) checkFeatureEntries(r.body.metadata.features, params, count, realtime, undefined);
  if (flag(params, "includeSloInfo")) {
    assert.deepEqual(Object.keys(r.body.metadata.sloInfo), SLO_KEYS);
    assert.equal(r.body.metadata.sloInfo.sloEligible, true);
  }
}

function checkBatch(r: Reply, params: any, rows: number, count: number, realtime: readonly string[]): void {
  assert.equal(r.body.result.length, rows);
  for (const row of r.body.result) assert.deepEqual(Object.keys(row), ["features"]);
  for (const row of r.body.result) assert.equal(row.features.length, count);
  const metadata = r.body.metadata;
  checkFeatureEntries(metadata.features, params, count, realtime, rows);
  if (flag(params, "includeSloInfo")) {
    assert.equal(metadata.sloInfo.length, rows);
    for (const s of metadata.sloInfo) assert.deepEqual(Object.keys(s), SLO_KEYS);
    assert.deepEqual(Object.keys(metadata.batchSloInfo), SLO_KEYS);
  } else {
    assert.deepEqual(Object.keys(metadata), ["features"]);
  }
}

/** The seed's Metadata response sample, for the service shaped like it. */
const SEED_METADATA = {
  featureServiceType: "DEFAULT",
  inputJoinKeys: [
    { name: "user_id", dataType: { type: "string" } },
    { name: "merchant", dataType: { type: "string" } },
  ],
  inputRequestContextKeys: [{ name: "amt", dataType: { type: "float64" } }],
  featureValues: [
    { name: "transaction_amount_is_higher_than_average.transaction_amount_is_higher_than_average", dataType: { type: "boolean" } },
    { name: "merchant_fraud_rate.is_fraud_mean_1d_1d", dataType: { type: "float64" } },
    { name: "merchant_fraud_rate.is_fraud_mean_30d_1d", dataType: { type: "float64" } },
    { name: "merchant_fraud_rate.is_fraud_mean_90d_1d", dataType: { type: "float64" } },
    { name: "user_distinct_merchant_transaction_count_30d.distinct_merchant_transaction_count_30d", dataType: { type: "int64" } },
    { name: "user_transaction_amount_metrics.amt_mean_1d_10m", dataType: { type: "float64" } },
    { name: "user_transaction_amount_metrics.amt_mean_1h_10m", dataType: { type: "float64" } },
    { name: "user_transaction_amount_metrics.amt_mean_3d_10m", dataType: { type: "float64" } },
    { name: "user_transaction_amount_metrics.amt_sum_1d_10m", dataType: { type: "float64" } },
    { name: "user_transaction_amount_metrics.amt_sum_1h_10m", dataType: { type: "float64" } },
    { name: "user_transaction_amount_metrics.amt_sum_3d_10m", dataType: { type: "float64" } },
    { name: "user_transaction_counts.transaction_id_last_3_1d_1d", dataType: { type: "array", elementType: { type: "string" } } },
  ],
};
const FRAUD_FEATURES = SEED_METADATA.featureValues.length;
const FRAUD_REALTIME = ["transaction_amount_is_higher_than_average"];

interface Case {
  readonly registry: Registry;
  readonly check: (r: Reply, params: any) => void;
}

const CASES: Record<string, Case> = {
  "python-client-0.2-get-features.http": {
    registry: "sample",
    check: (r) =>
      assert.deepEqual(r.body, {
        // user_4407104885: 100 at T0, 300 in the last hour; 500 is above the one-day mean.
        result: { features: [true, 300, 300, 200, 300, 300, 400] },
        metadata: {
          features: [
            { name: "transaction_amount_is_high.transaction_amount_is_high", dataType: { type: "boolean" } },
            ...["amt_mean_1d_10m", "amt_mean_1h_10m", "amt_mean_3d_10m", "amt_sum_1d_10m", "amt_sum_1h_10m", "amt_sum_3d_10m"].map((f) => ({
              name: `user_transaction_amount_metrics.${f}`,
              dataType: { type: "float64" },
            })),
          ],
        },
      }),
  },
  "python-client-id-null-get-features.http": {
    registry: "sample",
    check: (r, p) => {
      checkGetFeatures(r, p, FRAUD_FEATURES, FRAUD_REALTIME);
      const byName = Object.fromEntries(r.body.metadata.features.map((m: any, i: number) => [m.name, [r.body.result.features[i], m.effectiveTime, m.status]]));
      assert.deepEqual(byName["transaction_amount_is_higher_than_average.transaction_amount_is_higher_than_average"], [true, undefined, "PRESENT"], "61.06 > the one-day mean 30");
      assert.deepEqual(byName["user_transaction_amount_metrics.amt_mean_3d_10m"], [20, "2023-11-15T12:00:00Z", "PRESENT"]);
      assert.deepEqual(byName["merchant_fraud_rate.is_fraud_mean_1d_1d"], [0, "2023-11-15T00:00:00Z", "PRESENT"]);
      assert.deepEqual(byName["user_distinct_merchant_transaction_count_30d.distinct_merchant_transaction_count_30d"], ["2", "2023-11-15T00:00:00Z", "PRESENT"], "int64 as a string");
      assert.deepEqual(byName["user_transaction_counts.transaction_id_last_3_1d_1d"], [["t1", "t2"], "2023-11-15T00:00:00Z", "PRESENT"]);
    },
  },
  "python-client-id-null-metadata.http": { registry: "sample", check: (r) => assert.deepEqual(r.body, SEED_METADATA) },
  "python-client-latest-get-features.http": {
    registry: "sample",
    check: (r, p) => {
      assert.deepEqual(Object.keys(r.body.metadata), ["features", "sloInfo"]);
      const entries = r.body.metadata.features;
      assert.deepEqual(entries[0], {
        name: "transaction_amount_is_higher_than_average.transaction_amount_is_higher_than_average",
        dataType: { type: "boolean" },
        status: "PRESENT",
        description: "Whether the transaction amount is above the user's one-day mean",
        tags: { release: "production" },
      }, "descriptions and tags where a view has them");
      checkFeatureEntries(entries.slice(1), p, FRAUD_FEATURES - 1, FRAUD_REALTIME, undefined);
      assert.deepEqual(Object.keys(r.body.metadata.sloInfo), SLO_KEYS);
      assert.equal(r.body.result.features.length, FRAUD_FEATURES);
    },
  },
  "python-client-0.1b-snake-case-get-features.http": { registry: "sample", check: (r, p) => checkGetFeatures(r, p, FRAUD_FEATURES, FRAUD_REALTIME) },
  "python-client-0.1b-snake-case-get-features-batch.http": {
    registry: "sample",
    check: (r, p) => {
      checkBatch(r, p, 2, FRAUD_FEATURES, FRAUD_REALTIME);
      const mean3d = r.body.metadata.features.findIndex((m: any) => m.name === "user_transaction_amount_metrics.amt_mean_3d_10m");
      assert.deepEqual(r.body.metadata.features[mean3d].status, ["PRESENT", "MISSING_DATA"], "an unknown user is MISSING_DATA in its row");
      assert.deepEqual(r.body.result.map((row: any) => row.features[mean3d]), [20, null]);
    },
  },
  "java-client-get-features.http": {
    registry: "sample",
    check: (r, p) => {
      checkGetFeatures(r, p, FRAUD_FEATURES, FRAUD_REALTIME);
      // The Java client fails unless every entry has a name and a dataType.type (tecton-behaviour.md §2.2).
      assert.deepEqual(r.body.metadata.features.map((m: any) => ({ name: m.name, dataType: m.dataType })), SEED_METADATA.featureValues);
    },
  },
  "java-client-get-features-request-options.http": {
    registry: "sample",
    check: (r, p) => {
      checkGetFeatures(r, p, FRAUD_FEATURES, FRAUD_REALTIME);
      assert.equal(r.body.metadata.partialResults, undefined, "a 5 s budget cuts nothing");
    },
  },
  "java-client-get-features-batch.http": { registry: "sample", check: (r, p) => checkBatch(r, p, 5, FRAUD_FEATURES, FRAUD_REALTIME) },
  "java-client-get-features-batch-null-join-keys.http": {
    registry: "sample",
    check: (r) =>
      assert.deepEqual(r.body, {
        result: [{ features: [false, 61.06] }, { features: [true, 1500] }],
        metadata: {
          features: [
            { name: "amount_checks.is_large", dataType: { type: "boolean" } },
            { name: "amount_checks.amt_echo", dataType: { type: "float64" } },
          ],
        },
      }),
  },
  "java-client-metadata.http": { registry: "sample", check: (r) => assert.deepEqual(r.body, SEED_METADATA) },
  "curl-docs-get-features.http": {
    registry: "ads",
    check: (r, p) => {
      checkGetFeatures(r, p, 4, ["amount_is_large"]);
      // ad_click_rate holds the click at T0 (7-day window); the last day of user_ad_impression_counts only the recent impression.
      assert.deepEqual(r.body.result.features, [true, 1, "0", "1"], "realtime first, then ad_click_rate, then user_ad_impression_counts by feature name");
      assert.deepEqual(r.body.metadata.features.map((m: any) => m.name), [
        "amount_is_large.amount_is_large",
        "ad_click_rate.clicked_mean_7d_1d",
        "user_ad_impression_counts.clicked_sum_1d_1h",
        "user_ad_impression_counts.impression_count_1d_1h",
      ]);
    },
  },
  "curl-docs-get-features-batch.http": {
    registry: "impressions",
    check: (r, p) => {
      checkBatch(r, p, 2, 7, []);
      assert.deepEqual(r.body.result[0], r.body.result[1], "the same user twice");
      assert.deepEqual(r.body.metadata.features.map((m: any) => [m.name, m.effectiveTime]), [
        ["user_ad_impression_counts.impression_count_1d_1h", "2023-11-15T12:00:00Z"],
        ["user_ad_impression_counts.impression_count_1h_1h", "2023-11-15T12:00:00Z"],
        ["user_ad_impression_counts.impression_count_3d_1h", "2023-11-15T12:00:00Z"],
        ["user_click_counts.clicked_count_1d_1h", "2023-11-15T12:00:00Z"],
        ["user_click_counts.clicked_count_1h_1h", "2023-11-15T12:00:00Z"],
        ["user_click_counts.clicked_count_3d_1h", "2023-11-15T12:00:00Z"],
        ["user_distinct_ad_count_7d.distinct_ad_count", "2023-11-15T00:00:00Z"],
      ]);
      // The click in the last hour was not one; the one at T0 is outside 1d and 1h but inside 3d.
      assert.deepEqual(r.body.result[0].features, ["1", "1", "2", null, null, "1", "1"]);
      assert.deepEqual(r.body.metadata.features[3].status, ["MISSING_DATA", "MISSING_DATA"], "a count over no data is null");
    },
  },
  "curl-docs-metadata.http": { registry: "sample", check: (r) => assert.deepEqual(r.body, SEED_METADATA) },
  "curl-docs-caching-mixed-case.http": {
    registry: "sample",
    check: (r, p) => {
      checkGetFeatures(r, p, FRAUD_FEATURES, FRAUD_REALTIME);
      assert.equal(r.body.result.features[0], true);
    },
  },
  "curl-docs-v2-get-features-bearer.http": { registry: "sample", check: (r, p) => checkGetFeatures(r, p, FRAUD_FEATURES, FRAUD_REALTIME) },
  "curl-docs-v2-metadata.http": { registry: "sample", check: (r) => assert.deepEqual(r.body, SEED_METADATA) },
};

// --- the test ----------------------------------------------------------------------------------------

let server: SpawnedServer;
before(async () => {
  server = await spawnServer();
});
after(async () => {
  await server.stop();
});

async function load(registry: Registry): Promise<void> {
  await ok(server, "/reset");
  await setClock(server, T0);
  await ok(server, "/register", { nodes: DATA[registry].nodes });
  for (const p of DATA[registry].pushes) {
    await setClock(server, p.at);
    await ok(server, "/push", { event: p.event, data: p.data });
  }
  await setClock(server, READ_AT);
}

describe("requests of the official Tecton clients and the documented curl examples", () => {
  test("every fixture has a case, and every case a fixture", () => {
    assert.deepEqual(readdirSync(FIXTURES).filter((f) => f.endsWith(".http")).sort(), Object.keys(CASES).sort());
  });

  for (const [file, c] of Object.entries(CASES)) {
    test(file, async () => {
      const f = readFixture(file);
      await load(c.registry);
      const r = await send(server, f);
      assert.equal(r.status, 200, r.text);
      assert.equal(r.contentType, "application/json");
      c.check(r, f.body.length === 0 ? {} : JSON.parse(f.body.toString("utf8")).params);
    });
  }
});
