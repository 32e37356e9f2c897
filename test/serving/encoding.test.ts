import assert from "node:assert/strict";
import { after, before, beforeEach, describe, test } from "node:test";
import { spawnServer, type SpawnedServer } from "../helpers/spawn-server.ts";
import { CONTEXT, getFeatures, MIN, NODES, ok, push, register, setClock, T0 } from "./helpers.ts";

/** Tecton's value encoding per data type (tecton-behaviour.md §2.4) and the serving statuses, over REST. */

let server: SpawnedServer;
before(async () => {
  server = await spawnServer();
});
after(async () => {
  await server.stop();
});
beforeEach(async () => {
  await ok(server, "/reset");
  await setClock(server, T0 + MIN);
  await register(server, NODES);
});

const NAMES_AND_TYPES = { includeNames: true, includeDataTypes: true, includeServingStatus: true };

/** Reads `fraud` for a user and returns {name: [value, dataType, status]}. */
async function fraud(user: unknown, context: Record<string, unknown> = CONTEXT, extra: Record<string, unknown> = {}): Promise<Record<string, [unknown, unknown, string]>> {
  const r = await getFeatures(server, { featureServiceName: "fraud", joinKeyMap: { user }, requestContextMap: context, metadataOptions: NAMES_AND_TYPES, ...extra });
  assert.equal(r.status, 200, r.text);
  const out: Record<string, [unknown, unknown, string]> = {};
  r.body.metadata.features.forEach((m: { name: string; dataType: unknown; status: string }, i: number) => {
    out[m.name] = [r.body.result.features[i], m.dataType, m.status];
  });
  return out;
}

async function pushAliceTwice(): Promise<void> {
  await push(server, "txn", { user: "alice", merchant: "m1", amt: 10.5, qty: 2, flag: true, at: "2023-11-13T12:00:00+02:00", payload: { a: [1, 2] }, note: 7 });
  await setClock(server, T0 + 2 * MIN);
  await push(server, "txn", { user: "alice", merchant: "m2", amt: 20, qty: 6, flag: false, at: "2023-11-13T23:30:00.250-01:00", payload: { b: null } });
  await setClock(server, T0 + 15 * MIN);
}

describe("value encoding by data type", () => {
  test("every table feature type: int64 as strings, float64, boolean, string, timestamp, json text, arrays, structs, maps", async () => {
    await pushAliceTwice();
    const f = await fraud("alice");
    const str = { type: "string" };
    const i64 = { type: "int64" };
    const f64 = { type: "float64" };
    assert.deepEqual(f["user_txn.txn_count_1h_10m"], ["2", i64, "PRESENT"]);
    assert.deepEqual(f["user_txn.qty_sum"], ["8", i64, "PRESENT"]);
    assert.deepEqual(f["user_txn.qty_max"], ["6", i64, "PRESENT"]);
    assert.deepEqual(f["user_txn.amt_mean_1d_10m"], [15.25, f64, "PRESENT"]);
    assert.deepEqual(f["user_txn.amt_sum_1h"], [30.5, f64, "PRESENT"]);
    assert.deepEqual(f["user_txn.last_flag"], [false, { type: "boolean" }, "PRESENT"]);
    assert.deepEqual(f["user_txn.last_merchant"], ["m2", str, "PRESENT"]);
    // A datetime field pushed with an offset is served in UTC with Z, milliseconds only when non-zero.
    assert.deepEqual(f["user_txn.last_at"], ["2023-11-14T00:30:00.250Z", { type: "timestamp" }, "PRESENT"]);
    assert.deepEqual(f["user_txn.seen_last"], ["2023-11-14T00:02:00Z", { type: "timestamp" }, "PRESENT"]);
    assert.deepEqual(f["user_txn.last_payload"], ['{"b":null}', str, "PRESENT"], "json values travel as their JSON text");
    assert.deepEqual(f["user_txn.last_note"], ["7", i64, "PRESENT"], "an optional field's last non-null value");
    assert.deepEqual(f["user_txn.recent_merchants"], [["m1", "m2"], { type: "array", elementType: str }, "PRESENT"]);
    assert.deepEqual(f["user_txn.recent_qty"], [["2", "6"], { type: "array", elementType: i64 }, "PRESENT"]);
    assert.deepEqual(f["user_txn.top_merchants"], [
      [
        ["m1", "1"],
        ["m2", "1"],
      ],
      { type: "array", elementType: { type: "struct", fields: [{ name: "value", dataType: str }, { name: "count", dataType: i64 }] } },
      "PRESENT",
    ], "structs are positional arrays in field order");
    assert.deepEqual(f["user_txn.qty_hist"], [{ "<5": "1", ">=5": "1" }, { type: "map", keyType: str, valueType: i64 }, "PRESENT"]);
    assert.deepEqual(f["user_txn.merchant_mix"], [{ m1: 0.5, m2: 0.5 }, { type: "map", keyType: str, valueType: f64 }, "PRESENT"]);
  });

  test("float64 specials travel as strings both ways; int64 and timestamps from the request context", async () => {
    for (const [sent, served] of [
      ["NaN", "NaN"],
      ["Infinity", "Infinity"],
      ["-Infinity", "-Infinity"],
      ["2.5", 2.5],
      [-0.125, -0.125],
      [1e300, 1e300],
    ] as const) {
      const f = await fraud("nobody", { ...CONTEXT, amt: sent });
      assert.deepEqual(f["checks.amt_echo"], [served, { type: "float64" }, "PRESENT"], `amt ${String(sent)}`);
    }
    for (const n of ["-9007199254740991", 42, "0"]) {
      const f = await fraud("nobody", { ...CONTEXT, n });
      assert.deepEqual(f["checks.n_echo"], [String(n), { type: "int64" }, "PRESENT"]);
    }
    for (const [ts, served] of [
      ["2023-05-04T15:50:00Z", "2023-05-04T15:50:00Z"],
      ["2023-05-04T17:50:00.5+02:00", "2023-05-04T15:50:00.500Z"],
      ["2023-05-04 15:50:00.123456", "2023-05-04T15:50:00.123Z"],
      ["yesterday", undefined],
      ["2023-05-04T15:50:00.123456z", "2023-05-04T15:50:00.123Z"],
    ] as const) {
      if (served === undefined) {
        const r = await getFeatures(server, { featureServiceName: "fraud", joinKeyMap: { user: "x" }, requestContextMap: { ...CONTEXT, ts } });
        assert.equal(r.status, 400, r.text);
        continue;
      }
      const f = await fraud("nobody", { ...CONTEXT, ts });
      assert.deepEqual(f["checks.ts_echo"], [served, { type: "timestamp" }, "PRESENT"]);
    }
  });

  test("nulls are legal everywhere: null request fields flow through expressions as null", async () => {
    const f = await fraud("nobody", { amt: null, n: null, ts: null, channel: null });
    assert.deepEqual(f["checks.amt_echo"], [null, { type: "float64" }, "PRESENT"]);
    assert.deepEqual(f["checks.n_echo"], [null, { type: "int64" }, "PRESENT"]);
    assert.deepEqual(f["checks.ts_echo"], [null, { type: "timestamp" }, "PRESENT"]);
    assert.deepEqual(f["checks.is_high"], [null, { type: "boolean" }, "PRESENT"], "null > 0.0 is null");
  });
});

describe("statuses", () => {
  test("an unknown entity is MISSING_DATA with null values; realtime views still compute (PRESENT)", async () => {
    await pushAliceTwice();
    const f = await fraud("bob");
    for (const [name, [value, , status]] of Object.entries(f)) {
      if (name.startsWith("checks.")) continue;
      assert.equal(value, null, name);
      assert.equal(status, "MISSING_DATA", name);
    }
    assert.deepEqual(f["checks.is_high"], [true, { type: "boolean" }, "PRESENT"], "coalesce(null, 0.0) < 100");
    assert.deepEqual(f["checks.mean_or_null"], [null, { type: "float64" }, "PRESENT"]);
  });

  test("a count with no events in its window is null (MISSING_DATA), \"0\" with coerceNullCountsToZero", async () => {
    await pushAliceTwice();
    await setClock(server, T0 + 3 * 60 * MIN);
    const f = await fraud("alice");
    assert.deepEqual(f["user_txn.txn_count_1h_10m"], [null, { type: "int64" }, "MISSING_DATA"]);
    assert.deepEqual(f["user_txn.amt_sum_1h"], [null, { type: "float64" }, "MISSING_DATA"], "a sum over no data is null too");
    assert.deepEqual(f["user_txn.qty_sum"], ["8", { type: "int64" }, "PRESENT"], "lifetime features keep their value");
    const coerced = await fraud("alice", CONTEXT, { requestOptions: { coerceNullCountsToZero: true } });
    assert.deepEqual(coerced["user_txn.txn_count_1h_10m"], ["0", { type: "int64" }, "MISSING_DATA"]);
    assert.deepEqual(coerced["user_txn.amt_sum_1h"], [null, { type: "float64" }, "MISSING_DATA"], "only counts are coerced");
    const unknown = await fraud("zed", CONTEXT, { requestOptions: { coerce_null_counts_to_zero: true } });
    assert.deepEqual(unknown["user_txn.txn_count_1h_10m"], ["0", { type: "int64" }, "MISSING_DATA"], "an unknown entity's counts too");
  });

  test("a value that does not fit its type is null with status UNKNOWN (optional fields are not type-checked on push)", async () => {
    await push(server, "txn", { user: "carol", merchant: "m", amt: 1, qty: 1, flag: true, note: "seven", at: "not a time" });
    const f = await fraud("carol");
    assert.deepEqual(f["user_txn.last_note"], [null, { type: "int64" }, "UNKNOWN"]);
    assert.deepEqual(f["user_txn.last_at"], [null, { type: "timestamp" }, "UNKNOWN"]);
    assert.deepEqual(f["user_txn.last_merchant"], ["m", { type: "string" }, "PRESENT"], "other features are unaffected");
  });

  test("a null join key reads nothing: MISSING_DATA", async () => {
    await pushAliceTwice();
    const f = await fraud(null);
    assert.deepEqual(f["user_txn.qty_sum"], [null, { type: "int64" }, "MISSING_DATA"]);
  });
});

describe("join keys", () => {
  test("int64 keys as decimal strings or JSON integers; composite keys; aliases name the prefix", async () => {
    await push(server, "click", { user: "a|b%", device: 42, page: "home" });
    await push(server, "click", { user: "a|b%", device: 42, page: "cart" });
    await push(server, "txn", { user: "a|b%", merchant: "m", amt: 1, qty: 5, flag: true });
    for (const device of ["42", 42]) {
      const r = await getFeatures(server, { featureServiceName: "devices", joinKeyMap: { device }, metadataOptions: { includeNames: true } });
      assert.deepEqual(r.body, { result: { features: ["2"] }, metadata: { features: [{ name: "device_clicks.clicks" }] } });
    }
    await setClock(server, T0 + 11 * MIN);
    const r = await getFeatures(server, { featureServiceName: "combo:v2", joinKeyMap: { user: "a|b%", device: "42" }, metadataOptions: { includeNames: true } });
    assert.equal(r.status, 200, r.text);
    assert.deepEqual(r.body, {
      result: { features: ["5", "2"] },
      metadata: { features: [{ name: "u.qty_sum" }, { name: "user_device.pages" }] },
    }, "tables by prefix: the alias u sorts before user_device");
  });
});
