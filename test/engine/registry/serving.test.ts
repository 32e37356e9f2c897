import { test, describe } from "node:test";
import assert from "node:assert/strict";
import { TXN, USER_TXN, empty, event, reg, rejects, table } from "./helpers.ts";

const T = { str: { kind: "str" }, i64: { kind: "i64" }, f64: { kind: "f64" }, bool: { kind: "bool" } };

const CLICK = event("click", { user: "str", page: "str", device_id: "i64" });
const USER_CLICK = table("user_clicks", "click", ["user"], { click_count: { op: "count" }, last_page: { op: "last", params: { field: "page" } } });
const DEVICE = table("device_txn", "click", ["device_id"], { device_clicks: { op: "count" } });
const RT = {
  kind: "realtime",
  name: "txn_checks",
  request_schema: { fields: { amt: "f64", channel: "str" } },
  tables: ["user_txn"],
  features: { z_last: "(amt > 1.0)", a_ratio: "(amt / 2)", is_web: "(channel == 'web')" },
  description: "request-time checks",
  tags: { team: "risk" },
};
const BASE = [TXN, CLICK, USER_TXN, USER_CLICK, DEVICE];

describe("realtime views", () => {
  test("compile: outputs in declared order, types from the expressions, table inputs and join keys", () => {
    const rt = {
      ...RT,
      features: { z_last: "(amt > coalesce(user_txn.amt_sum, 0.0))", a_ratio: "(amt / 2)", cnt: "(user_txn.txn_count + 1)" },
    };
    const r = reg(empty(), [...BASE, rt]);
    const c = r.realtime.get("txn_checks")!;
    assert.deepEqual(c.features.map((f) => [f.name, f.type]), [
      ["z_last", T.bool],
      ["a_ratio", T.f64],
      ["cnt", T.i64],
    ]);
    assert.deepEqual(c.tableInputs, [
      { table: "user_txn", feature: "amt_sum" },
      { table: "user_txn", feature: "txn_count" },
    ]);
    assert.deepEqual(c.joinKeys, [{ name: "user", type: T.str }]);
    assert.deepEqual(c.requestFields.map((f) => f.name), ["amt", "channel"]);
    assert.equal(c.description, "request-time checks");
    assert.deepEqual(c.tags, { team: "risk" });
    const z = c.features[0]!;
    assert.equal(z.evaluate({ amt: 10, "user_txn.amt_sum": 5 }), true);
    assert.equal(z.evaluate({ amt: 10, "user_txn.amt_sum": null }), true);
    assert.equal(z.evaluate({ amt: 1, "user_txn.amt_sum": 5 }), false);
  });

  test("errors: unknown table, non-table, unknown request field, unknown table feature, type errors, names", () => {
    rejects([...BASE, { ...RT, tables: ["nope"] }], "invalid_registration", "nodes[5].tables[0]");
    rejects([...BASE, { ...RT, tables: ["txn"] }], "invalid_registration", "nodes[5].tables[0]");
    rejects([...BASE, { ...RT, tables: ["user_txn", "user_txn"] }], "invalid_registration", "nodes[5].tables[1]");
    rejects([...BASE, { ...RT, features: { x: "(nope > 1)" } }], "invalid_expression", "nodes[5].features.x");
    rejects([...BASE, { ...RT, features: { x: "(user_txn.nope > 1)" } }], "invalid_expression", "nodes[5].features.x");
    // a table that is not listed in `tables` cannot be read
    rejects([...BASE, { ...RT, features: { x: "(user_clicks.click_count > 1)" } }], "invalid_expression", "nodes[5].features.x");
    rejects([...BASE, { ...RT, features: { x: "(channel + 1)" } }], "invalid_expression", "nodes[5].features.x");
    rejects([...BASE, { ...RT, features: { x: "(amt >" } }], "invalid_expression", "nodes[5].features.x");
    rejects([...BASE, { ...RT, features: {} }], "invalid_registration", "nodes[5].features");
    rejects([...BASE, { ...RT, features: { "a.b": "1" } }], "invalid_registration", "nodes[5].features.a.b");
    rejects([...BASE, { ...RT, request_schema: { fields: { "a.b": "f64" } } }], "invalid_registration");
    rejects([...BASE, { ...RT, request_schema: { fields: { amt: "float" } } }], "invalid_registration", "nodes[5].request_schema.fields.amt");
    rejects([...BASE, { ...RT, name: "rt.v2" }], "invalid_registration", "nodes[5].name");
    rejects([...BASE, { ...RT, features: { x: 5 } }], "invalid_registration", "nodes[5].features.x");
  });

  test("may be declared before the tables it reads (only events/derivations need topological order)", () => {
    const r = reg(empty(), [RT, ...BASE]);
    assert.ok(r.realtime.has("txn_checks"));
  });
});

describe("feature services", () => {
  const FS = {
    kind: "feature_service",
    name: "fraud_detection:v2",
    description: "fraud",
    tags: { owner: "risk" },
    features: [{ table: "user_txn" }, { table: "user_clicks", features: ["last_page"], alias: "clicks" }, { realtime: "txn_checks" }, { table: "device_txn" }],
  };

  test("output plan: realtime first (declared order), then tables by prefix with features alphabetical", () => {
    const r = reg(empty(), [...BASE, RT, FS]);
    const s = r.featureServices.get("fraud_detection:v2")!;
    assert.deepEqual(s.features.map((f) => f.name), [
      "txn_checks.z_last",
      "txn_checks.a_ratio",
      "txn_checks.is_web",
      "clicks.last_page",
      "device_txn.device_clicks",
      "user_txn.amt_sum",
      "user_txn.txn_count",
    ]);
    for (const f of s.features) assert.equal(f.name.split(".").length, 2);
    assert.deepEqual(s.features[3], { name: "clicks.last_page", source: "table", node: "user_clicks", prefix: "clicks", feature: "last_page", type: T.str });
    assert.deepEqual(s.features.find((f) => f.name === "user_txn.txn_count")!.type, T.i64);
    assert.deepEqual(s.tableReads.map((t) => [t.table, t.prefix, t.features]), [
      ["user_clicks", "clicks", ["last_page"]],
      ["device_txn", "device_txn", ["device_clicks"]],
      ["user_txn", "user_txn", ["amt_sum", "txn_count"]],
    ]);
    assert.deepEqual(s.realtime, ["txn_checks"]);
    assert.deepEqual(s.tables, ["device_txn", "user_clicks", "user_txn"]);
    assert.equal(s.description, "fraud");
    assert.deepEqual(s.tags, { owner: "risk" });
    assert.equal(s.onlineServingEnabled, true);
  });

  test("join keys: union (name + type) including tables read only through realtime views; request context keys", () => {
    const svc = { kind: "feature_service", name: "svc", features: [{ table: "device_txn" }, { realtime: "txn_checks" }], online_serving_enabled: false };
    const r = reg(empty(), [...BASE, RT, svc]);
    const s = r.featureServices.get("svc")!;
    assert.deepEqual(s.joinKeys, [
      { name: "user", type: T.str },
      { name: "device_id", type: T.i64 },
    ]);
    assert.deepEqual(s.requestContextKeys, [
      { name: "amt", type: T.f64 },
      { name: "channel", type: T.str },
    ]);
    assert.deepEqual(s.tables, ["device_txn", "user_txn"]);
    assert.equal(s.onlineServingEnabled, false);
  });

  test("realtime views sort by name; several views union their request fields", () => {
    const rt2 = { kind: "realtime", name: "a_view", request_schema: { fields: { ip: "str", amt: "f64" } }, features: { q: "(ip == '1')" } };
    const svc = { kind: "feature_service", name: "svc", features: [{ realtime: "txn_checks" }, { realtime: "a_view" }] };
    const s = reg(empty(), [...BASE, RT, rt2, svc]).featureServices.get("svc")!;
    assert.deepEqual(s.features.map((f) => f.name), ["a_view.q", "txn_checks.z_last", "txn_checks.a_ratio", "txn_checks.is_web"]);
    assert.deepEqual(s.requestContextKeys.map((k) => k.name), ["ip", "amt", "channel"]);
    const clash = { ...rt2, request_schema: { fields: { amt: "str" } }, features: { q: "(amt == '1')" } };
    rejects([...BASE, RT, clash, svc], "invalid_registration", "nodes[7].features");
  });

  test("join key type conflicts are rejected", () => {
    const other = event("acct", { user: "i64" });
    const t2 = table("acct_t", "acct", ["user"], { acct_count: { op: "count" } });
    const svc = { kind: "feature_service", name: "svc", features: [{ table: "user_txn" }, { table: "acct_t" }] };
    rejects([...BASE, other, t2, svc], "invalid_registration", "nodes[7].features");
  });

  test("reference and naming errors", () => {
    const svc = (features: unknown[]) => [...BASE, RT, { kind: "feature_service", name: "svc", features }];
    rejects(svc([]), "invalid_registration", "nodes[6].features");
    rejects(svc([{ table: "nope" }]), "invalid_registration", "nodes[6].features[0].table");
    rejects(svc([{ table: "txn" }]), "invalid_registration", "nodes[6].features[0].table");
    rejects(svc([{ realtime: "user_txn" }]), "invalid_registration", "nodes[6].features[0].realtime");
    rejects(svc([{ realtime: "nope" }]), "invalid_registration", "nodes[6].features[0].realtime");
    rejects(svc([{ table: "user_txn", features: ["nope"] }]), "invalid_registration", "nodes[6].features[0].features[0]");
    rejects(svc([{ table: "user_txn", features: [] }]), "invalid_registration", "nodes[6].features[0].features");
    rejects(svc([{ table: "user_txn", features: ["txn_count", "txn_count"] }]), "invalid_registration", "nodes[6].features[0].features[1]");
    rejects(svc([{ table: "user_txn" }, { table: "user_txn" }]), "invalid_registration", "nodes[6].features[1]");
    rejects(svc([{ table: "user_txn", alias: "txn_checks" }, { realtime: "txn_checks" }]), "invalid_registration", "nodes[6].features[1]");
    rejects(svc([{ table: "user_txn", alias: "a.b" }]), "invalid_registration", "nodes[6].features[0].alias");
    rejects(svc([{ table: "user_txn", feature: ["txn_count"] }]), "invalid_registration", "nodes[6].features[0].feature");
    rejects(svc([5]), "invalid_registration", "nodes[6].features[0]");
    // the same table twice under different aliases is fine
    const r = reg(empty(), svc([{ table: "user_txn" }, { table: "user_txn", alias: "u2", features: ["txn_count"] }]));
    assert.deepEqual(r.featureServices.get("svc")!.features.map((f) => f.name), ["u2.txn_count", "user_txn.amt_sum", "user_txn.txn_count"]);
  });
});
