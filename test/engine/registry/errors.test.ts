import { test, describe } from "node:test";
import assert from "node:assert/strict";
import { TXN, USER_TXN, event, eventDerivation, plan, planner, reg, rejects, table, throwsCode, empty } from "./helpers.ts";

const gb = (agg: Record<string, { op: string; params?: Record<string, unknown> }>, keys = ["user"], ops: unknown[] = []) =>
  table("t", "txn", keys, agg, { ops });

describe("JSON-level checks (beava §1.5 step 1) and their order", () => {
  test("join / union ops", () => {
    rejects([TXN, eventDerivation("d", "txn", [{ op: "join", with: "x" }])], "feature_removed_no_joins_v0", "nodes[1].ops[0].op");
    rejects([TXN, eventDerivation("d", "txn", [{ op: "union" }])], "feature_removed_no_unions_v0", "nodes[1].ops[0].op");
  });

  test("event-time keys", () => {
    rejects([{ ...TXN, event_time_field: "ts" }], "unknown_field_event_time_v0", "nodes[0].event_time_field");
    rejects([{ ...TXN, tolerate_delay_ms: 5 }], "unknown_field_tolerate_delay_v0", "nodes[0].tolerate_delay_ms");
  });

  test("unsupported node kind, path nodes[i].<kind>.kind", () => {
    rejects([TXN, { kind: "table", name: "x" }], "unsupported_node_kind", "nodes[1].table.kind");
    rejects([{ kind: "Foo" }], "unsupported_node_kind", "nodes[0].Foo.kind");
  });

  test("memory governance: lifetime features must be bounded", () => {
    rejects([TXN, gb({ f: { op: "no_such_op" } })], "unbounded_op_in_lifetime_mode");
    rejects([TXN, gb({ f: { op: "last_n", params: { field: "amount" } } })], "unbounded_op_in_lifetime_mode");
    rejects([TXN, gb({ f: { op: "lag", params: { field: "amount", n: 0 } } })], "unbounded_op_in_lifetime_mode");
    rejects([TXN, gb({ f: { op: "reservoir_sample", params: { field: "amount" } } })], "unbounded_op_in_lifetime_mode");
    rejects([TXN, gb({ f: { op: "histogram", params: { field: "amount", buckets: [] } } })], "unbounded_op_in_lifetime_mode");
    // with a window string the check does not apply: an unknown op is then aggregation_unknown_op
    rejects([TXN, gb({ f: { op: "no_such_op", params: { window: "1h" } } })], "aggregation_unknown_op");
  });

  test("the checks run in beava's order, each over the whole payload", () => {
    const joinLater = eventDerivation("d", "txn", [{ op: "join" }]);
    // kind error in node 0, join in node 1: join wins (check 1 before check 3)
    rejects([{ kind: "Foo", name: "x" }, joinLater], "feature_removed_no_joins_v0");
    // event_time (check 2) before kind (check 3)
    rejects([{ kind: "Foo" }, { ...TXN, event_time_field: "t" }], "unknown_field_event_time_v0");
    // memory governance (check 4) before shape errors
    rejects([{ kind: "event" }, gb({ f: { op: "nope" } })], "unbounded_op_in_lifetime_mode");
  });
});

describe("strict shape checks -> invalid_registration with path", () => {
  test("envelope", () => {
    for (const body of [undefined, null, 5, "x", [], { descriptors: [] }]) {
      throwsCode(() => planner.planRegistration(empty(), body), "invalid_registration", "<body>");
    }
    const e = throwsCode(() => planner.planRegistration(empty(), { descriptors: [] }), "invalid_registration", "<body>");
    assert.match(String(e.details.reason), /missing field `nodes`/);
    throwsCode(() => planner.planRegistration(empty(), { nodes: {} }), "invalid_registration", "nodes");
  });

  test("nodes", () => {
    rejects([5], "invalid_registration", "nodes[0]");
    rejects([{ name: "x" }], "invalid_registration", "nodes[0].kind");
    rejects([{ kind: "", name: "x" }], "invalid_registration", "nodes[0].kind");
    rejects([{ kind: "event", name: 5, schema: { fields: { a: "str" } } }], "invalid_registration", "nodes[0].name");
    rejects([{ kind: "event", name: "e" }], "invalid_registration", "nodes[0].schema");
    rejects([event("e", { a: "int" })], "invalid_registration", "nodes[0].schema.fields.a");
    rejects([event("e", { a: "str" }, { optional_fields: "a" })], "invalid_registration", "nodes[0].schema.optional_fields");
    rejects([event("e", { a: "str" }, { dedupe_window_ms: -1 })], "invalid_registration", "nodes[0].dedupe_window_ms");
    rejects([event("e", { a: "str" }, { cold_after_ms: 1.5 })], "invalid_registration", "nodes[0].cold_after_ms");
    rejects([TXN, { ...USER_TXN, output_kind: "stream" }], "invalid_registration", "nodes[1].output_kind");
    rejects([TXN, { ...USER_TXN, upstreams: undefined }], "invalid_registration", "nodes[1].upstreams");
    rejects([TXN, { ...USER_TXN, ops: [{ op: "explode" }] }], "invalid_registration", "nodes[1].ops[0].op");
    rejects([TXN, { ...USER_TXN, ops: [{ op: "filter" }] }], "invalid_registration", "nodes[1].ops[0].expr");
    rejects([TXN, { ...USER_TXN, ops: [{ op: "fillna", defaults: { amount: [1] } }] }], "invalid_registration", "nodes[1].ops[0].defaults.amount");
    rejects([TXN, gb({ f: { op: "count", params: [] as never } })], "invalid_registration", "nodes[1].ops[0].agg.f.params");
    rejects([TXN, gb({ f: 3 as never })], "invalid_registration", "nodes[1].ops[0].agg.f");
    rejects([{ kind: "realtime", name: "r" }], "invalid_registration", "nodes[0].features");
    rejects([{ kind: "feature_service", name: "s", features: [{ table: "t", feature: ["a"] }] }], "invalid_registration", "nodes[0].features[0].feature");
    rejects([{ kind: "feature_service", name: "s", features: [{ table: "t", realtime: "r" }] }], "invalid_registration", "nodes[0].features[0]");
    rejects([{ kind: "feature_service", name: "s", features: [{ table: "t" }], online_serving_enabled: "yes" }], "invalid_registration", "nodes[0].online_serving_enabled");
  });

  test("unknown keys on event and derivation nodes are ignored (beava serde)", () => {
    const p = plan(empty(), [{ ...TXN, whatever: 1, keep_events_for: "30d" }, { ...USER_TXN, extra: true }]);
    assert.equal(p.kind, "apply");
  });
});


describe("semantic validation (beava §1.4 / §1.5 / §1.8)", () => {
  test("names: duplicate, empty, pattern, length, reserved prefixes", () => {
    rejects([TXN, TXN], "invalid_registration", "nodes[1].name");
    rejects([TXN, { ...USER_TXN, name: "txn" }], "invalid_registration", "nodes[1].name");
    rejects([event("", { a: "str" })], "invalid_registration", "nodes[0].name");
    rejects([event("1abc", { a: "str" })], "invalid_registration", "nodes[0].name");
    rejects([event("a-b", { a: "str" })], "invalid_registration", "nodes[0].name");
    rejects([event("a".repeat(129), { a: "str" })], "invalid_registration", "nodes[0].name");
    assert.equal(plan(empty(), [event("a".repeat(128), { a: "str" })]).kind, "apply");
    rejects([event("_beava_x", { a: "str" })], "invalid_registration", "nodes[0].name");
    rejects([event("_tessera_x", { a: "str" })], "invalid_registration", "nodes[0].name");
    // feature services may use ':' and '-'
    const fs = { kind: "feature_service", name: "fraud-svc:v2", features: [{ table: "user_txn" }] };
    assert.equal(plan(empty(), [TXN, USER_TXN, fs]).kind, "apply");
    rejects([TXN, USER_TXN, { ...fs, name: "svc.v2" }], "invalid_registration", "nodes[2].name");
  });

  test("events", () => {
    rejects([event("e", {})], "invalid_registration", "nodes[0].schema.fields");
    rejects([event("e", { a: "str" }, { optional_fields: ["b"] })], "invalid_registration", "nodes[0].schema.optional_fields");
    rejects([event("e", { a: "str" }, { dedupe_key: "id" })], "invalid_registration", "nodes[0].dedupe_key");
    rejects([event("e", { a: "str" }, { dedupe_window_ms: 0 })], "invalid_registration", "nodes[0].dedupe_window_ms");
    rejects([event("e", { a: "str" }, { cold_after_ms: 0 })], "invalid_registration", "nodes[0].cold_after_ms");
    const p = plan(empty(), [event("e", { id: "str", event_time: "datetime" }, { dedupe_key: "id", cold_after_ms: 1000, keep_events_for_ms: 5 })]);
    assert.equal(p.kind, "apply");
    if (p.kind !== "apply") return;
    const e = p.next.events.get("e")!;
    assert.equal(e.dedupeKey, "id");
    assert.equal(e.dedupeWindowMs, 86_400_000);
    assert.equal(e.coldAfterMs, 1000);
    assert.equal(e.keepEventsForMs, 5);
    assert.deepEqual(e.schema.fields.get("event_time"), { kind: "timestamp" });
  });

  test("upstreams: unknown, topological order, cycles, several", () => {
    rejects([table("t", "nope", ["user"], { c: { op: "count" } })], "invalid_registration", "nodes[0].upstreams[0]");
    rejects([USER_TXN, TXN], "invalid_registration", "nodes[0].upstreams[0]");
    const e1 = rejects([TXN, eventDerivation("a", "a", [{ op: "filter", expr: "true" }])], "invalid_registration", "nodes[1].upstreams[0]");
    assert.match(e1.message, /cycle/);
    const e2 = rejects(
      [TXN, eventDerivation("a", "b", [{ op: "filter", expr: "true" }]), eventDerivation("b", "a", [{ op: "filter", expr: "true" }])],
      "invalid_registration",
      "nodes[1].upstreams[0]",
    );
    assert.match(e2.message, /cycle/);
    const e3 = rejects([TXN, eventDerivation("a", "b", [{ op: "filter", expr: "true" }]), eventDerivation("b", "txn", [])], "invalid_registration");
    assert.match(e3.message, /topological order/);
    rejects([TXN, event("e2", { user: "str" }), table("t", "txn", ["user"], { c: { op: "count" } }, { upstreams: ["txn", "e2"] })], "invalid_registration", "nodes[2].upstreams");
  });

  test("derivation structure", () => {
    rejects([TXN, table("t", "txn", ["user"], { c: { op: "count" } }, { pk: null })], "invalid_registration", "nodes[1].table_primary_key");
    // table_primary_key may be [] and is not cross-checked against keys
    assert.equal(plan(empty(), [TXN, table("t", "txn", ["user"], { c: { op: "count" } }, { pk: [] })]).kind, "apply");
    rejects([TXN, eventDerivation("d", "txn", [])], "invalid_registration", "nodes[1].ops");
    assert.equal(plan(empty(), [TXN, { ...eventDerivation("d", "txn", []), schema: { fields: { user: "str" } } }]).kind, "apply");
    rejects([TXN, { ...USER_TXN, ops: [{ op: "filter", expr: "true" }] }], "invalid_registration", "nodes[1].ops");
    rejects([TXN, eventDerivation("d", "txn", [{ op: "group_by", keys: ["user"], agg: {} }])], "invalid_registration", "nodes[1].ops[0].op");
    rejects(
      [TXN, { ...USER_TXN, ops: [{ op: "group_by", keys: ["user"], agg: {} }, { op: "group_by", keys: ["user"], agg: {} }] }],
      "invalid_registration",
      "nodes[1].ops[0].op",
    );
    rejects([TXN, table("t", "txn", ["user", "user"], { c: { op: "count" } })], "invalid_registration", "nodes[1].ops[0].keys[1]");
    rejects([TXN, table("t", "txn", ["user"], { "bad.name": { op: "count" } })], "invalid_registration", "nodes[1].ops[0].agg.bad.name");
    rejects([TXN, USER_TXN, { kind: "realtime", name: "r", features: { x: "true" } }, eventDerivation("d", "r", [{ op: "filter", expr: "true" }])], "invalid_registration", "nodes[3].upstreams[0]");
  });

  test("aggregation_on_table_not_supported", () => {
    rejects([TXN, table("t", "txn", ["user"], { c: { op: "count" } }, { upstreams: [] })], "aggregation_on_table_not_supported", "nodes[1].upstreams");
    rejects([TXN, USER_TXN, table("t2", "user_txn", ["user"], { c2: { op: "count" } })], "aggregation_on_table_not_supported", "nodes[2].upstreams[0]");
    // an event derivation cannot read a table either (invalid_registration)
    rejects([TXN, USER_TXN, eventDerivation("d", "user_txn", [{ op: "filter", expr: "true" }])], "invalid_registration", "nodes[2].upstreams[0]");
    rejects([TXN, eventDerivation("d", "txn", [])], "invalid_registration");
    rejects([eventDerivation("d", "x", [{ op: "filter", expr: "true" }])], "invalid_registration");
    rejects([TXN, { ...eventDerivation("d", "txn", [{ op: "filter", expr: "true" }]), upstreams: [] }], "invalid_registration", "nodes[1].upstreams");
  });

  test("group keys: aggregation_unknown_field (missing, f64, non-scalar)", () => {
    rejects([TXN, table("t", "txn", ["nope"], { c: { op: "count" } })], "aggregation_unknown_field", "nodes[1].ops[0].keys[0]");
    rejects([TXN, table("t", "txn", ["amount"], { c: { op: "count" } })], "aggregation_unknown_field", "nodes[1].ops[0].keys[0]");
    rejects([event("e", { k: "json" }), table("t", "e", ["k"], { c: { op: "count" } })], "aggregation_unknown_field");
    // keys come from the TRANSFORMED row: a dropped field is no longer a key candidate
    rejects([TXN, table("t", "txn", ["user"], { c: { op: "count" } }, { ops: [{ op: "drop", fields: ["user"] }] })], "aggregation_unknown_field", "nodes[1].ops[1].keys[0]");
    // ... and a created one is
    assert.equal(plan(empty(), [TXN, table("t", "txn", ["uid"], { c: { op: "count" } }, { ops: [{ op: "rename", mapping: { user: "uid" } }] })]).kind, "apply");
    // i64, bool, datetime and str keys are fine; global tables have no keys
    const e = event("e", { a: "i64", b: "bool", c: "datetime", d: "str" });
    assert.equal(plan(empty(), [e, table("t", "e", ["a", "b", "c", "d"], { n: { op: "count" } }), table("g", "e", [], { gn: { op: "count" } })]).kind, "apply");
  });

  test("feature names: key collision and global uniqueness", () => {
    rejects([TXN, table("t", "txn", ["user"], { user: { op: "count" } })], "aggregation_group_key_collides_with_feature", "nodes[1].ops[0].agg.user");
    rejects(
      [TXN, USER_TXN, table("t2", "txn", ["merchant"], { txn_count: { op: "count" } })],
      "aggregation_feature_name_collision_across_aggregations",
      "nodes[2].ops[0].agg.txn_count",
    );
  });

  test("per-op checks reach the catalogue's codes", () => {
    rejects([TXN, gb({ f: { op: "avg", params: { field: "amount", window: "1h" } } })], "aggregation_unknown_op");
    rejects([TXN, gb({ f: { op: "sum", params: { field: "nope" } } })], "aggregation_unknown_field");
    rejects([TXN, gb({ f: { op: "last" } })], "aggregation_unknown_field");
    rejects([TXN, gb({ f: { op: "sum", params: { field: "amount", window: "1H" } } })], "aggregation_invalid_window");
    rejects([TXN, gb({ f: { op: "last", params: { field: "amount", window: "1h" } } })], "aggregation_invalid_window");
    rejects([TXN, gb({ f: { op: "count", params: { where: "(nope > 1)" } } })], "aggregation_invalid_where");
    rejects([TXN, gb({ f: { op: "count", params: { where: "(amount >" } } })], "aggregation_invalid_where");
    rejects([TXN, gb({ f: { op: "bloom_member", params: { field: "user", window: "1h" } } })], "window_not_supported");
    rejects([TXN, gb({ f: { op: "bloom_member", params: { field: "user", fpr: 1.5 } } })], "invalid_bloom_fpr");
    rejects([TXN, gb({ f: { op: "quantile", params: { field: "amount", q: 1 } } })], "invalid_percentile_q");
    rejects([TXN, gb({ f: { op: "top_k", params: { field: "user", k: 0 } } })], "invalid_top_k_k");
    // the where clause sees the post-op schema
    const ops = [{ op: "with_columns", exprs: { big: "(amount > 100)" } }];
    assert.equal(plan(empty(), [TXN, gb({ f: { op: "count", params: { where: "big" } } }, ["user"], ops)]).kind, "apply");
  });

  test("op-chain errors -> invalid_expression", () => {
    const withOps = (ops: unknown[]) => [TXN, gb({ c: { op: "count" } }, ["user"], ops)];
    rejects(withOps([{ op: "filter", expr: "(amount >" }]), "invalid_expression", "nodes[1].ops[0].expr");
    rejects(withOps([{ op: "filter", expr: "(nope > 1)" }]), "invalid_expression", "nodes[1].ops[0].expr");
    rejects(withOps([{ op: "filter", expr: "(user > 1)" }]), "invalid_expression", "nodes[1].ops[0].expr");
    rejects(withOps([{ op: "filter", expr: "amount" }]), "invalid_expression", "nodes[1].ops[0].expr");
    rejects(withOps([{ op: "select", fields: ["user", "nope"] }]), "invalid_expression", "nodes[1].ops[0].fields");
    rejects(withOps([{ op: "rename", mapping: { nope: "x" } }]), "invalid_expression", "nodes[1].ops[0].mapping.nope");
    rejects(withOps([{ op: "rename", mapping: { amount: "n" } }]), "invalid_expression", "nodes[1].ops[0].mapping");
    rejects(withOps([{ op: "rename", mapping: { amount: "x", n: "x" } }]), "invalid_expression");
    rejects(withOps([{ op: "with_columns", exprs: { x: "(amount + user)" } }]), "invalid_expression", "nodes[1].ops[0].exprs.x");
    rejects(withOps([{ op: "map", exprs: { x: "(nope + 1)" } }]), "invalid_expression", "nodes[1].ops[0].exprs.x");
    rejects(withOps([{ op: "cast", type_map: { amount: "decimal" } }]), "invalid_expression", "nodes[1].ops[0].type_map.amount");
    rejects(withOps([{ op: "cast", type_map: { nope: "int" } }]), "invalid_expression", "nodes[1].ops[0].type_map.nope");
    rejects(withOps([{ op: "fillna", defaults: { nope: 1 } }]), "invalid_expression", "nodes[1].ops[0].defaults.nope");
    rejects(withOps([{ op: "fillna", defaults: { n: 1.5 } }]), "invalid_expression", "nodes[1].ops[0].defaults.n");
    rejects(withOps([{ op: "fillna", defaults: { user: 3 } }]), "invalid_expression", "nodes[1].ops[0].defaults.user");
    // drop of an unknown field is a no-op
    assert.equal(plan(empty(), withOps([{ op: "drop", fields: ["nope"] }])).kind, "apply");
  });
});

describe("force_required and the order of validation vs diff", () => {
  const base = () => reg(empty(), [TXN, USER_TXN]);

  test("destructive without force -> 409 force_required with the diff", () => {
    const cur = base();
    const changed = table("user_txn", "txn", ["user"], { txn_count: { op: "count" }, amt_sum: { op: "sum", params: { field: "amount", window: "2h" } } });
    const e = throwsCode(() => plan(cur, [TXN, changed]), "force_required");
    assert.equal(e.message, "Destructive registry change requires force=true. See diff for details.");
    assert.deepEqual((e.details.diff as { destructive: unknown[] }).destructive, [{ kind: "window_change", agg: "user_txn.amt_sum", from: "1h", to: "2h" }]);
  });

  test("DESIGN decision: a payload both destructive and invalid gets the validation error (beava would answer 409)", () => {
    const cur = base();
    // removes user_txn (destructive) and has an invalid event
    rejects; // (documentation anchor)
    throwsCode(() => plan(cur, [event("txn", { user: "str", amount: "int" })]), "invalid_registration");
    throwsCode(() => plan(cur, [TXN, table("user_txn", "txn", ["user"], { txn_count: { op: "nope", params: { window: "1h" } } })]), "aggregation_unknown_op");
  });

  test("dry_run runs full validation", () => {
    throwsCode(() => plan(empty(), [TXN, table("t", "txn", ["nope"], { c: { op: "count" } })], { dry_run: true }), "aggregation_unknown_field");
  });
});
