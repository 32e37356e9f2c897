import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { codeOf, engineWith, push, row, T0, table, TXN_EVENT, USER_TXN } from "./engine-fixture.ts";

describe("read errors (beava §5.1 order)", () => {
  const e = engineWith();
  push(e, { user: "u", amt: 1 });
  it("unknown_table, then feature_not_found for the whole call, then key_parse_failure", () => {
    assert.equal(codeOf(() => e.read("prod", "txn", "u|v", ["bogus"], T0)), "unknown_table");
    assert.throws(
      () => e.read("prod", "user_txn", "u|v", ["cnt", "bogus", "x"], T0),
      (err: { code: string; message: string }) => err.code === "feature_not_found" && err.message === 'feature_not_found: missing=["bogus","x"] table=user_txn',
    );
    assert.equal(codeOf(() => e.read("prod", "user_txn", "u|v", ["cnt"], T0)), "key_parse_failure");
    assert.equal(codeOf(() => e.read("nope", "user_txn", "u", undefined, T0)), "workspace_not_found");
  });
  it("narrows to requested features in request order; [] gives nothing; absent entity is null", () => {
    assert.deepEqual(row(e, "user_txn", "u", T0, ["big", "cnt"]), { big: 0, cnt: 1 });
    assert.deepEqual(e.read("prod", "user_txn", "u", [], T0)!.values, []);
    assert.equal(e.read("prod", "user_txn", "nobody", undefined, T0), null);
  });
  it("reports feature info for serving", () => {
    const r = e.read("prod", "user_txn", "u", ["cnt", "amt_1h"], T0)!;
    assert.deepEqual(r.features.map((f) => [f.name, f.outputType.kind, f.windowKind, f.isCount]), [
      ["cnt", "i64", "lifetime", true],
      ["amt_1h", "f64", "continuous", false],
    ]);
  });
  it("evaluates windows at the read's now", () => {
    assert.equal(row(e, "user_txn", "u", T0 + 2 * 3_600_000)!.amt_1h, null);
  });
});

describe("cold entities", () => {
  const coldEvent = { ...TXN_EVENT, cold_after_ms: 1000 };
  it("are absent at read once idle longer than cold_after_ms, never served stale", () => {
    const e = engineWith([coldEvent, USER_TXN]);
    push(e, { user: "u", amt: 1 });
    assert.equal(row(e, "user_txn", "u", T0 + 1000)!.cnt, 1);
    assert.equal(row(e, "user_txn", "u", T0 + 1001), null);
  });
  it("are recreated fresh by the next push", () => {
    const e = engineWith([coldEvent, USER_TXN]);
    push(e, { user: "u", amt: 1 });
    push(e, { user: "u", amt: 2 }, T0 + 5000);
    assert.deepEqual(row(e, "user_txn", "u", T0 + 5000), { cnt: 1, amt_sum: 2, amt_1h: 2, big: 0 });
    assert.equal(e.stats().coldEvictions, 1);
  });
  it("do not pass object states (sketches, buffers) on to a recreated or another entity", () => {
    const agg = { merchants: { op: "n_unique", params: { field: "merchant" } }, last2: { op: "last_n", params: { field: "merchant", n: 2 } } };
    const e = engineWith([coldEvent, table("t", ["user"], agg)]);
    for (const m of ["a", "b", "c"]) push(e, { user: "u", amt: 1, merchant: m });
    assert.deepEqual(row(e, "t", "u"), { merchants: 3, last2: ["b", "c"] });
    // Cold: recreated fresh by the next push, which reuses the freed slot.
    push(e, { user: "u", amt: 1, merchant: "d" }, T0 + 5000);
    assert.deepEqual(row(e, "t", "u", T0 + 5000), { merchants: 1, last2: ["d"] });
    // Swept, then another entity takes the slot.
    assert.equal(e.sweep(T0 + 10_000), 1);
    push(e, { user: "v", amt: 1 }, T0 + 10_000);
    push(e, { user: "w", amt: 1, merchant: "x" }, T0 + 10_000);
    assert.deepEqual(row(e, "t", "v", T0 + 10_000), { merchants: 0, last2: [] });
    assert.deepEqual(row(e, "t", "w", T0 + 10_000), { merchants: 1, last2: ["x"] });
  });
  it("are removed by sweep", () => {
    const e = engineWith([coldEvent, USER_TXN]);
    push(e, { user: "a", amt: 1 });
    push(e, { user: "b", amt: 1 }, T0 + 900);
    assert.equal(e.sweep(T0 + 1500), 1);
    assert.equal(e.stats().entities, 1);
    assert.equal(row(e, "user_txn", "b", T0 + 1500)!.cnt, 1);
  });
});

describe("workspaces", () => {
  it("prod exists and is live; others are created, listed, isolated and deleted", () => {
    const e = engineWith();
    assert.deepEqual(e.workspace("prod"), { name: "prod", live: true });
    e.createWorkspace("dev", false);
    assert.equal(codeOf(() => e.createWorkspace("dev", true)), "workspace_already_exists");
    assert.deepEqual(e.listWorkspaces(), [{ name: "dev", live: false }, { name: "prod", live: true }]);
    assert.equal(codeOf(() => e.read("dev", "user_txn", "u", undefined, T0)), "unknown_table");
    e.deleteWorkspace("dev");
    assert.equal(codeOf(() => e.workspace("dev")), "workspace_not_found");
    assert.equal(codeOf(() => e.deleteWorkspace("prod")), "failed_precondition");
  });
});
