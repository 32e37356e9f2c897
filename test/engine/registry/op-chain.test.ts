import { test, describe } from "node:test";
import assert from "node:assert/strict";
import type { Row } from "../../../src/engine/types.ts";
import { TXN, empty, event, eventDerivation, reg, table } from "./helpers.ts";

/** Compiles a table over `ev` with `ops` in front of group_by and returns it. */
function chain(ops: unknown[], keys = ["user"], ev = TXN) {
  const r = reg(empty(), [ev, table("t", ev.name as string, keys, { c: { op: "count" } }, { ops })]);
  return r.tables.get("t")!;
}

function run(ops: unknown[], row: Row, keys?: string[], ev?: Record<string, unknown>): Row | null {
  const t = chain(ops, keys, ev);
  const input = structuredClone(row);
  const out = t.prefix(input);
  assert.deepEqual(input, row, "the input row must not be mutated");
  return out;
}

describe("prefix op chain semantics (beava §1.3)", () => {
  test("no ops: identity, same object", () => {
    const t = chain([]);
    const row = { user: "u" };
    assert.equal(t.prefix(row), row);
    assert.equal(t.hasPrefix, false);
  });

  test("filter keeps only true; false, null and missing drop", () => {
    const ops = [{ op: "filter", expr: "(amount > 10)" }];
    const row = { user: "u", amount: 11 };
    const t = chain(ops);
    assert.equal(t.prefix(row), row, "filters alone return the input row");
    assert.equal(run(ops, { user: "u", amount: 5 }), null);
    assert.equal(run(ops, { user: "u", amount: null }), null);
    assert.equal(run(ops, { user: "u" }), null);
  });

  test("select keeps listed fields in listed order, skipping missing ones", () => {
    const out = run([{ op: "select", fields: ["amount", "user", "merchant"] }], { user: "u", amount: 1, n: 3 });
    assert.deepEqual(Object.keys(out!), ["amount", "user"]);
    const t = chain([{ op: "select", fields: ["amount", "user"] }]);
    assert.deepEqual([...t.schema.fields.keys()], ["amount", "user"]);
  });

  test("drop removes fields (unknown names are a no-op)", () => {
    assert.deepEqual(run([{ op: "drop", fields: ["amount", "zzz"] }], { user: "u", amount: 1 }), { user: "u" });
    assert.ok(!chain([{ op: "drop", fields: ["amount"] }]).schema.fields.has("amount"));
  });

  test("rename moves values (swaps work, absent stays absent) and the schema follows", () => {
    const ops = [{ op: "rename", mapping: { amount: "n", n: "amount" } }];
    assert.deepEqual(run(ops, { user: "u", amount: 1.5, n: 2 }), { user: "u", n: 1.5, amount: 2 });
    assert.deepEqual(run(ops, { user: "u", amount: 1.5 }), { user: "u", n: 1.5 });
    const t = chain(ops);
    assert.deepEqual(t.schema.fields.get("n"), { kind: "f64" });
    assert.deepEqual(t.schema.fields.get("amount"), { kind: "i64" });
  });

  test("with_columns evaluates columns alphabetically, each seeing the earlier ones; map is an alias", () => {
    for (const op of ["with_columns", "map"]) {
      // b reads a (computed first); c reads b
      const ops = [{ op, exprs: { c: "(b * 2)", a: "(n + 1)", b: "(a + 1)" } }];
      assert.deepEqual(run(ops, { user: "u", n: 1 }), { user: "u", n: 1, a: 2, b: 3, c: 6 });
      const t = chain(ops);
      assert.deepEqual(t.schema.fields.get("c"), { kind: "i64" });
    }
    // overwrite an existing column
    assert.deepEqual(run([{ op: "with_columns", exprs: { user: "'x'" } }], { user: "u" }), { user: "x" });
  });

  test("with_columns: a column reading a later (alphabetically) column is an error", () => {
    assert.throws(() => chain([{ op: "with_columns", exprs: { a: "(b + 1)", b: "(n + 1)" } }]), { code: "invalid_expression" });
  });

  test("cast converts present fields, skips absent ones, failures give null", () => {
    const ops = [{ op: "cast", type_map: { n: "float", amount: "int", merchant: "int", user: "str" } }];
    assert.deepEqual(run(ops, { user: "u", n: 3, amount: 2.9, merchant: "x7" }), { user: "u", n: 3, amount: 2, merchant: null });
    assert.deepEqual(run(ops, { user: "u", merchant: "12" }), { user: "u", merchant: 12 });
    const t = chain(ops);
    assert.deepEqual(t.schema.fields.get("amount"), { kind: "i64" });
    assert.deepEqual(t.schema.fields.get("n"), { kind: "f64" });
    assert.ok(t.schema.optional.has("amount"));
    assert.deepEqual(run([{ op: "cast", type_map: { n: "bool" } }], { user: "u", n: 0 }), { user: "u", n: false });
  });

  test("fillna replaces only present-and-null values", () => {
    const ops = [{ op: "fillna", defaults: { merchant: "none", amount: 0 } }];
    assert.deepEqual(run(ops, { user: "u", merchant: null, amount: null }), { user: "u", merchant: "none", amount: 0 });
    assert.deepEqual(run(ops, { user: "u" }), { user: "u" }, "absent fields are not filled");
    assert.deepEqual(run(ops, { user: "u", merchant: "m", amount: 3 }), { user: "u", merchant: "m", amount: 3 });
  });

  test("ops compose in order; group keys may come from the transformed row", () => {
    const ops = [
      { op: "filter", expr: "(amount > 0)" },
      { op: "with_columns", exprs: { bucket: "cast((amount / 100), int)" } },
      { op: "rename", mapping: { user: "uid" } },
      { op: "select", fields: ["uid", "bucket", "amount"] },
    ];
    const t = chain(ops, ["uid", "bucket"]);
    assert.deepEqual(t.keyColumns, [
      { name: "uid", type: { kind: "str" } },
      { name: "bucket", type: { kind: "i64" } },
    ]);
    const row = { user: "u", amount: 250, n: 1 };
    assert.deepEqual(t.prefix(row), { uid: "u", bucket: 2, amount: 250 });
    assert.deepEqual(row, { user: "u", amount: 250, n: 1 });
    assert.equal(t.prefix({ user: "u", amount: -1 }), null);
  });

  test("event-derivation chains are flattened in front of the table's own ops, routed to the root event", () => {
    const r = reg(empty(), [
      TXN,
      eventDerivation("big", "txn", [{ op: "filter", expr: "(amount > 100)" }]),
      eventDerivation("big_named", "big", [{ op: "rename", mapping: { user: "uid" } }]),
      table("big_uid", "big_named", ["uid"], { big_count: { op: "count" } }, { ops: [{ op: "drop", fields: ["n"] }] }),
    ]);
    const t = r.tables.get("big_uid")!;
    assert.equal(t.rootEvent, "txn");
    assert.equal(t.upstream, "big_named");
    assert.deepEqual(t.prefix({ user: "u", amount: 500, n: 1 }), { uid: "u", amount: 500 });
    assert.equal(t.prefix({ user: "u", amount: 5, n: 1 }), null);
    assert.deepEqual(r.tablesByEvent.get("txn")!.map((x) => x.name), ["big_uid"]);
    const d = r.eventDerivations.get("big_named")!;
    assert.equal(d.rootEvent, "txn");
    assert.deepEqual(d.transform({ user: "u", amount: 500 }), { uid: "u", amount: 500 });
  });

  test("tablesByEvent routes each event to its tables in payload order", () => {
    const click = event("click", { user: "str" });
    const r = reg(empty(), [
      TXN,
      click,
      table("a", "txn", ["user"], { a1: { op: "count" } }),
      table("b", "click", ["user"], { b1: { op: "count" } }),
      table("c", "txn", [], { c1: { op: "count" } }),
    ]);
    assert.deepEqual(r.tablesByEvent.get("txn")!.map((t) => t.name), ["a", "c"]);
    assert.deepEqual(r.tablesByEvent.get("click")!.map((t) => t.name), ["b"]);
    assert.deepEqual(r.tables.get("c")!.keyColumns, []);
  });
});
