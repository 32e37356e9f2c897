import { test, describe } from "node:test";
import assert from "node:assert/strict";
import { TXN, USER_TXN, applyPlan, empty, event, eventDerivation, plan, reg, table, throwsCode, type Reg } from "./helpers.ts";

const TXN_FIELDS = { user: "str", amount: "f64", merchant: "str", n: "i64" };
const MERCH = table("merch_txn", "txn", ["merchant"], { merch_count: { op: "count" } });
const base = (): Reg => reg(empty(), [TXN, USER_TXN, MERCH]);
const userTxn = (agg: Record<string, { op: string; params?: Record<string, unknown> }>, opts: Parameters<typeof table>[4] = {}) =>
  table("user_txn", "txn", ["user"], agg, opts);
const BASE_AGG = { txn_count: { op: "count" }, amt_sum: { op: "sum", params: { field: "amount", window: "1h" } } };

/** Expects 409 without force, then applies with force; returns the forced plan. */
function destructive(nodes: unknown[], expected: unknown[], cur: Reg = base()) {
  const e = throwsCode(() => plan(cur, nodes), "force_required");
  const diff = e.details.diff as { destructive: unknown[] };
  assert.deepEqual(diff.destructive, expected);
  const p = applyPlan(cur, nodes, { force: true });
  assert.equal(p.response.registry_version, cur.version + 1);
  return p;
}

describe("registration responses and versions (beava §1.6)", () => {
  test("first registration: version 1, added sorted by (descriptor_kind, name)", () => {
    const p = applyPlan(empty(), [TXN, USER_TXN, MERCH]);
    assert.deepEqual(p.response, {
      status: "ok",
      registry_version: 1,
      registered_descriptors: ["txn", "user_txn", "merch_txn"],
      added: ["merch_txn", "user_txn", "txn"],
      already_present: [],
    });
    assert.deepEqual(p.diff.additive, [
      { kind: "new_descriptor", descriptor_kind: "derivation", name: "merch_txn" },
      { kind: "new_descriptor", descriptor_kind: "derivation", name: "user_txn" },
      { kind: "new_descriptor", descriptor_kind: "event", name: "txn" },
    ]);
    assert.deepEqual(p.droppedTables, []);
    assert.equal(p.next.version, 1);
    assert.deepEqual(p.next.nodes, [TXN, USER_TXN, MERCH]);
  });

  test("identical re-registration is a no-op: version unchanged, everything already_present (also with force)", () => {
    const cur = base();
    for (const force of [false, true]) {
      const p = plan(cur, [TXN, USER_TXN, MERCH], { force });
      assert.equal(p.kind, "noop");
      assert.deepEqual(p.response, {
        status: "ok",
        registry_version: 1,
        registered_descriptors: ["txn", "user_txn", "merch_txn"],
        added: [],
        already_present: ["merch_txn", "txn", "user_txn"],
      });
    }
  });

  test("normalisation: defaults, map vs with_columns, field and agg order are not changes", () => {
    const cur = reg(empty(), [TXN, userTxn(BASE_AGG, { ops: [{ op: "map", exprs: { b: "1", a: "2" } }] })]);
    const same = [
      { ...event("txn", { n: "i64", merchant: "str", amount: "f64", user: "str" }, { optional_fields: ["merchant"] }), dedupe_window_ms: 86_400_000 },
      userTxn({ amt_sum: BASE_AGG.amt_sum, txn_count: { op: "count", params: {} } }, { ops: [{ op: "with_columns", exprs: { a: "2", b: "1" } }] }),
    ];
    assert.equal(plan(cur, same).kind, "noop");
  });

  test("empty payload on an empty registry is a no-op; on a non-empty one it removes everything (force)", () => {
    assert.equal(plan(empty(), []).kind, "noop");
    const p = destructive([], [
      { kind: "agg_removal", table: "merch_txn", agg: "" },
      { kind: "agg_removal", table: "txn", agg: "" },
      { kind: "agg_removal", table: "user_txn", agg: "" },
    ]);
    assert.deepEqual(p.droppedTables, ["merch_txn", "user_txn"]);
    assert.deepEqual(p.droppedEvents, ["txn"]);
    assert.equal(p.next.tables.size, 0);
  });
});

describe("additive changes install without force, keeping all other state", () => {
  test("new node", () => {
    const p = applyPlan(base(), [TXN, USER_TXN, MERCH, event("click", { user: "str" })]);
    assert.deepEqual(p.diff.additive, [{ kind: "new_descriptor", descriptor_kind: "event", name: "click" }]);
    assert.deepEqual(p.diff.destructive, []);
    assert.deepEqual(p.response.added, ["click"]);
    assert.deepEqual(p.response.already_present, ["merch_txn", "txn", "user_txn"]);
    assert.deepEqual(p.droppedTables, []);
    assert.deepEqual(p.droppedEvents, []);
    assert.equal(p.response.registry_version, 2);
  });

  test("new event field", () => {
    const p = applyPlan(base(), [event("txn", { ...TXN_FIELDS, country: "str" }, { optional_fields: ["merchant", "country"] }), USER_TXN, MERCH]);
    assert.deepEqual(p.diff.additive, [{ kind: "new_field", event: "txn", field: "country", type: "str" }]);
    assert.deepEqual(p.diff.destructive, []);
    assert.deepEqual(p.droppedTables, []);
    assert.deepEqual(p.response.added, ["txn"]);
    assert.ok(p.next.events.get("txn")!.schema.fields.has("country"));
  });

  test("new agg in an existing table", () => {
    const p = applyPlan(base(), [TXN, userTxn({ ...BASE_AGG, amt_max: { op: "max", params: { field: "amount" } } }), MERCH]);
    assert.deepEqual(p.diff.additive, [{ kind: "new_agg", table: "user_txn", agg: "amt_max", source: "max" }]);
    assert.deepEqual(p.droppedTables, []);
    assert.deepEqual(p.addedFeatures, [{ table: "user_txn", features: ["amt_max"] }]);
    assert.deepEqual(p.next.tables.get("user_txn")!.aggregations.map((a) => a.feature), ["txn_count", "amt_sum", "amt_max"]);
  });
});

describe("destructive changes: 409 without force; force drops only the affected state", () => {
  test("event field type change and removal -> type_change; downstream tables dropped", () => {
    const p = destructive(
      [event("txn", { ...TXN_FIELDS, n: "f64" }, { optional_fields: ["merchant"] }), USER_TXN, MERCH],
      [{ kind: "type_change", field: "txn.n", from: "i64", to: "f64" }],
    );
    assert.deepEqual(p.droppedTables, ["merch_txn", "user_txn"]);
    assert.deepEqual(p.droppedEvents, []);
    const { n: _n, ...withoutN } = TXN_FIELDS;
    destructive([event("txn", withoutN, { optional_fields: ["merchant"] }), USER_TXN, MERCH], [{ kind: "type_change", field: "txn.n", from: "i64", to: "<absent>" }]);
  });

  test("event settings -> event_change; dedupe changes drop the event's state only", () => {
    const ev = (extra: Record<string, unknown>) => [event("txn", TXN_FIELDS, { optional_fields: ["merchant"], ...extra }), USER_TXN, MERCH];
    let p = destructive(ev({ dedupe_key: "user" }), [{ kind: "event_change", event: "txn", field: "dedupe_key" }]);
    assert.deepEqual(p.droppedEvents, ["txn"]);
    assert.deepEqual(p.droppedTables, []);
    p = destructive(ev({ dedupe_window_ms: 1000 }), [{ kind: "event_change", event: "txn", field: "dedupe_window_ms" }]);
    assert.deepEqual(p.droppedEvents, ["txn"]);
    p = destructive(ev({ cold_after_ms: 60_000 }), [{ kind: "event_change", event: "txn", field: "cold_after_ms" }]);
    assert.deepEqual([p.droppedEvents, p.droppedTables], [[], []]);
    assert.equal(p.next.tables.get("user_txn")!.coldAfterMs, 60_000);
    destructive(ev({ keep_events_for_ms: 5 }), [{ kind: "event_change", event: "txn", field: "keep_events_for_ms" }]);
    p = destructive([event("txn", TXN_FIELDS, { optional_fields: [] }), USER_TXN, MERCH], [{ kind: "event_change", event: "txn", field: "optional_fields" }]);
    assert.deepEqual([p.droppedEvents, p.droppedTables], [[], []]);
  });

  test("agg changes: window_change, agg_change (op, where, field, other params), agg_removal", () => {
    let p = destructive([TXN, userTxn({ ...BASE_AGG, amt_sum: { op: "sum", params: { field: "amount" } } }), MERCH], [
      { kind: "window_change", agg: "user_txn.amt_sum", from: "1h", to: "" },
    ]);
    assert.deepEqual(p.droppedTables, ["user_txn"]);
    destructive([TXN, userTxn({ ...BASE_AGG, txn_count: { op: "sum", params: { field: "amount" } } }), MERCH], [
      { kind: "agg_change", table: "user_txn", agg: "txn_count", from: "count", to: "sum" },
    ]);
    destructive([TXN, userTxn({ ...BASE_AGG, txn_count: { op: "count", params: { where: "(amount > 1)" } } }), MERCH], [
      { kind: "agg_change", table: "user_txn", agg: "txn_count", from: "count", to: "count" },
    ]);
    destructive([TXN, userTxn({ ...BASE_AGG, amt_sum: { op: "sum", params: { field: "n", window: "1h" } } }), MERCH], [
      { kind: "agg_change", table: "user_txn", agg: "amt_sum", from: "sum", to: "sum" },
    ]);
    p = destructive([TXN, userTxn({ txn_count: BASE_AGG.txn_count }), MERCH], [{ kind: "agg_removal", table: "user_txn", agg: "amt_sum" }]);
    assert.deepEqual(p.droppedTables, ["user_txn"]);
    assert.deepEqual(p.response.added, ["user_txn"]);
    assert.deepEqual(p.response.already_present, ["merch_txn", "txn"]);
  });

  test("removal + addition in one table: destructive wins, table dropped, no addedFeatures", () => {
    const p = destructive([TXN, userTxn({ txn_count: BASE_AGG.txn_count, amt_max: { op: "max", params: { field: "amount" } } }), MERCH], [
      { kind: "agg_removal", table: "user_txn", agg: "amt_sum" },
    ]);
    assert.deepEqual(p.diff.additive, [{ kind: "new_agg", table: "user_txn", agg: "amt_max", source: "max" }]);
    assert.deepEqual(p.droppedTables, ["user_txn"]);
    assert.deepEqual(p.addedFeatures, []);
  });

  test("key columns: group_by keys and table_primary_key -> key_cols_change", () => {
    destructive([TXN, table("user_txn", "txn", ["user", "merchant"], BASE_AGG), MERCH], [
      { kind: "key_cols_change", table: "user_txn", from: ["user"], to: ["user", "merchant"] },
    ]);
    destructive([TXN, table("user_txn", "txn", ["user", "merchant"], BASE_AGG, { pk: ["user"] }), MERCH], [
      { kind: "key_cols_change", table: "user_txn", from: ["user"], to: ["user", "merchant"] },
    ]);
    const p = destructive([TXN, userTxn(BASE_AGG, { pk: [] }), MERCH], [{ kind: "key_cols_change", table: "user_txn", from: ["user"], to: [] }]);
    assert.deepEqual(p.droppedTables, ["user_txn"]);
  });

  test("prefix ops: op_change (changed or added) and op_removal", () => {
    const f = (expr: string) => ({ op: "filter", expr });
    const cur = reg(empty(), [TXN, userTxn(BASE_AGG, { ops: [f("(amount > 1)"), f("(n > 1)")] }), MERCH]);
    destructive([TXN, userTxn(BASE_AGG, { ops: [f("(amount > 2)"), f("(n > 1)")] }), MERCH], [{ kind: "op_change", table: "user_txn", index: 0 }], cur);
    destructive([TXN, userTxn(BASE_AGG, { ops: [f("(amount > 1)")] }), MERCH], [{ kind: "op_removal", table: "user_txn", agg: "filter[1]" }], cur);
    destructive(
      [TXN, userTxn(BASE_AGG, { ops: [f("(amount > 1)"), f("(n > 1)"), { op: "drop", fields: ["merchant"] }] }), MERCH],
      [{ kind: "op_change", table: "user_txn", index: 2 }],
      cur,
    );
    const p = destructive([TXN, userTxn(BASE_AGG), MERCH], [
      { kind: "op_removal", table: "user_txn", agg: "filter[0]" },
      { kind: "op_removal", table: "user_txn", agg: "filter[1]" },
    ], cur);
    assert.deepEqual(p.droppedTables, ["user_txn"]);
  });

  test("removed node -> agg_removal with agg \"\"; other tables keep state", () => {
    const p = destructive([TXN, USER_TXN], [{ kind: "agg_removal", table: "merch_txn", agg: "" }]);
    assert.deepEqual(p.droppedTables, ["merch_txn"]);
    assert.deepEqual(p.droppedEvents, []);
    assert.deepEqual(p.response.added, []);
    assert.deepEqual(p.response.already_present, ["txn", "user_txn"]);
    assert.ok(!p.next.tables.has("merch_txn"));
  });

  test("rename pairing: same kind and identical body", () => {
    const renamed = { ...MERCH, name: "merchant_txn" };
    const p = destructive([TXN, USER_TXN, renamed], [{ kind: "rename", from: "merch_txn", to: "merchant_txn" }]);
    assert.deepEqual(p.diff.additive, []);
    assert.deepEqual(p.droppedTables, ["merch_txn"]);
    assert.deepEqual(p.response.added, ["merchant_txn"]);
    // not identical -> removal + new descriptor
    const other = table("merchant_txn", "txn", ["merchant"], { merch_count: { op: "count", params: { window: "1h" } } });
    const q = destructive([TXN, USER_TXN, other], [{ kind: "agg_removal", table: "merch_txn", agg: "" }]);
    assert.deepEqual(q.diff.additive, [{ kind: "new_descriptor", descriptor_kind: "derivation", name: "merchant_txn" }]);
  });

  test("derivation output_kind / upstreams change and node kind change -> node_change", () => {
    const cur = reg(empty(), [TXN, event("txn2", TXN_FIELDS), USER_TXN]);
    const p = destructive([TXN, event("txn2", TXN_FIELDS), table("user_txn", "txn2", ["user"], BASE_AGG)], [
      { kind: "node_change", node: "user_txn", descriptor_kind: "derivation" },
    ], cur);
    assert.deepEqual(p.droppedTables, ["user_txn"]);
    assert.equal(p.next.tables.get("user_txn")!.rootEvent, "txn2");
    const q = destructive([TXN, event("txn2", TXN_FIELDS), event("user_txn", { a: "str" })], [
      { kind: "node_change", node: "user_txn", descriptor_kind: "event" },
    ], cur);
    assert.deepEqual(q.droppedTables, ["user_txn"]);
  });

  test("a change in an upstream event derivation drops the tables composed from it, not the others", () => {
    const d = (expr: string) => eventDerivation("big", "txn", [{ op: "filter", expr }]);
    const bigTable = table("big_txn", "big", ["user"], { big_count: { op: "count" } });
    const cur = reg(empty(), [TXN, d("(amount > 100)"), bigTable, USER_TXN]);
    const p = destructive([TXN, d("(amount > 1000)"), bigTable, USER_TXN], [{ kind: "op_change", table: "big", index: 0 }], cur);
    assert.deepEqual(p.droppedTables, ["big_txn"]);
    assert.deepEqual(p.response.already_present, ["big_txn", "txn", "user_txn"]);
  });

  test("realtime and feature service changes -> node_change, no state dropped", () => {
    const rt = (expr: string) => ({ kind: "realtime", name: "rt", request_schema: { fields: { amt: "f64" } }, tables: ["user_txn"], features: { hi: expr } });
    const fs = (tags: Record<string, string>) => ({ kind: "feature_service", name: "svc", features: [{ table: "user_txn" }, { realtime: "rt" }], tags });
    const cur = reg(empty(), [TXN, USER_TXN, rt("(amt > 1.0)"), fs({})]);
    let p = destructive([TXN, USER_TXN, rt("(amt > 2.0)"), fs({})], [{ kind: "node_change", node: "rt", descriptor_kind: "realtime" }], cur);
    assert.deepEqual([p.droppedTables, p.droppedEvents], [[], []]);
    p = destructive([TXN, USER_TXN, rt("(amt > 1.0)"), fs({ team: "risk" })], [{ kind: "node_change", node: "svc", descriptor_kind: "feature_service" }], cur);
    assert.deepEqual(p.next.featureServices.get("svc")!.tags, { team: "risk" });
    p = destructive([TXN, USER_TXN, rt("(amt > 1.0)")], [{ kind: "agg_removal", table: "svc", agg: "" }], cur);
    assert.deepEqual(p.droppedTables, []);
  });

  test("a table whose definition is unchanged keeps its state under force", () => {
    const p = destructive([TXN, userTxn({ txn_count: BASE_AGG.txn_count }), MERCH], [{ kind: "agg_removal", table: "user_txn", agg: "amt_sum" }]);
    assert.deepEqual(p.droppedTables, ["user_txn"]);
    assert.ok(!p.droppedTables.includes("merch_txn"));
  });

  test("entries are sorted by kind, then content", () => {
    const e = throwsCode(
      () => plan(base(), [event("txn", { ...TXN_FIELDS, n: "str", amount: "i64" }, { optional_fields: ["merchant"], cold_after_ms: 5 }), userTxn({ txn_count: BASE_AGG.txn_count })]),
      "force_required",
    );
    assert.deepEqual((e.details.diff as { destructive: { kind: string }[] }).destructive, [
      { kind: "agg_removal", table: "merch_txn", agg: "" },
      { kind: "agg_removal", table: "user_txn", agg: "amt_sum" },
      { kind: "event_change", event: "txn", field: "cold_after_ms" },
      { kind: "type_change", field: "txn.amount", from: "f64", to: "i64" },
      { kind: "type_change", field: "txn.n", from: "i64", to: "str" },
    ]);
  });
});

describe("dry_run", () => {
  test("returns the diff and would_apply:false, never applies, also with force", () => {
    const cur = base();
    for (const force of [false, true]) {
      const p = plan(cur, [TXN, USER_TXN], { dry_run: true, force });
      assert.equal(p.kind, "dry_run");
      assert.deepEqual(p.response, {
        diff: { additive: [], destructive: [{ kind: "agg_removal", table: "merch_txn", agg: "" }], already_present: ["txn", "user_txn"] },
        would_apply: false,
      });
      assert.ok(!("registry_version" in p.response));
    }
    const q = plan(empty(), [TXN], { dry_run: true });
    assert.deepEqual(q.kind === "dry_run" && q.diff.additive, [{ kind: "new_descriptor", descriptor_kind: "event", name: "txn" }]);
  });
});

describe("compileRegistry (recovery)", () => {
  test("recompiles accepted nodes at a version", async () => {
    const { planner } = await import("./helpers.ts");
    const cur = base();
    const r = planner.compileRegistry(cur.nodes, 7);
    assert.equal(r.version, 7);
    assert.deepEqual([...r.tables.keys()], ["user_txn", "merch_txn"]);
    assert.deepEqual(plan(r, [TXN, USER_TXN, MERCH]).kind, "noop");
  });
});
