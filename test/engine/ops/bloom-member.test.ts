import assert from "node:assert/strict";
import { describe, it } from "node:test";
import fc from "fast-check";
import { bloomMemberOp } from "../../../src/engine/aggregate/ops/bloom-member.ts";
import type { Value } from "../../../src/engine/types.ts";
import { assertCode, ctx, drive, series } from "./helpers.ts";

describe("bloom_member: params", () => {
  it("needs a known field", () => {
    assertCode(() => bloomMemberOp.parse({}, ctx(), undefined), "aggregation_unknown_field");
    assertCode(() => bloomMemberOp.parse({ field: "nope" }, ctx(), undefined), "aggregation_unknown_field");
  });

  it("rejects a window with window_not_supported", () => {
    assertCode(() => bloomMemberOp.parse({ field: "device", window: "1h" }, ctx(), undefined), "window_not_supported");
  });

  it("fpr|target_fpr must be in (0, 1) (invalid_bloom_fpr), default 0.01", () => {
    for (const fpr of [0, 1, -0.1, 1.5, "0.01", Number.NaN]) {
      assertCode(() => bloomMemberOp.parse({ field: "device", fpr }, ctx(), undefined), "invalid_bloom_fpr");
      assertCode(() => bloomMemberOp.parse({ field: "device", target_fpr: fpr }, ctx(), undefined), "invalid_bloom_fpr");
    }
    assert.equal(bloomMemberOp.parse({ field: "device" }, ctx(), undefined).fpr, 0.01);
    assert.equal(bloomMemberOp.parse({ field: "device", target_fpr: 0.001 }, ctx(), undefined).fpr, 0.001);
  });

  it("capacity|expected_n is a bounded positive integer (invalid_registration), default 1024", () => {
    for (const capacity of [0, -1, 1.5, "10", 2 ** 21]) {
      assertCode(() => bloomMemberOp.parse({ field: "device", capacity }, ctx(), undefined), "invalid_registration");
    }
    assertCode(() => bloomMemberOp.parse({ field: "device", capacity: 10, expected_n: 20 }, ctx(), undefined), "invalid_registration");
    assertCode(() => bloomMemberOp.parse({ field: "device", capacity: 1 << 20, fpr: 1e-9 }, ctx(), undefined), "invalid_registration");
    assert.equal(bloomMemberOp.parse({ field: "device" }, ctx(), undefined).capacity, 1024);
    assert.equal(bloomMemberOp.parse({ field: "device", expected_n: 50 }, ctx(), undefined).capacity, 50);
  });
});

describe("bloom_member", () => {
  it("answers whether the latest value had been seen before it (known device)", () => {
    const d = drive(bloomMemberOp, { field: "device" });
    assert.equal(d.read(), false);
    assert.equal(d.s.filter, null, "no bits before the first value");
    d.push(...series("device", ["phone"]));
    assert.equal(d.read(), false, "first sighting");
    d.push(...series("device", ["laptop"]));
    assert.equal(d.read(), false);
    d.push(...series("device", ["phone"]));
    assert.equal(d.read(), true, "seen before");
    d.push(...series("device", [null]));
    assert.equal(d.read(), true, "null values do not change the answer");
  });

  it("treats 1 and \"1\" as different values", () => {
    const d = drive(bloomMemberOp, { field: "x" }).push(...series("x", [1, "1"]));
    assert.equal(d.read(), false);
  });

  it("never answers false for a repeat (no false negatives; property)", () => {
    fc.assert(
      fc.property(fc.array(fc.oneof(fc.integer({ min: 0, max: 30 }), fc.constantFrom("a", "b", "c")), { maxLength: 100 }), (vals) => {
        const d = drive(bloomMemberOp, { field: "x", capacity: 64 });
        const seen: Value[] = [];
        for (const v of vals) {
          d.push(...series("x", [v]));
          if (seen.includes(v)) assert.equal(d.read(), true);
          seen.push(v);
        }
      }),
    );
  });

  it("keeps false positives near fpr up to capacity", () => {
    const d = drive(bloomMemberOp, { field: "device", capacity: 2000, fpr: 0.01 });
    let fp = 0;
    for (let i = 0; i < 2000; i++) {
      d.push(...series("device", [`dev-${i}`]));
      if (d.read() === true) fp++;
    }
    // Expected ≈ Σ fpr(i) < 2000 · 0.01; the filter fills gradually, so the count is well under 20·2.
    assert.ok(fp < 40, `false positives: ${fp}`);
  });
});
