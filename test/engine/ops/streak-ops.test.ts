import assert from "node:assert/strict";
import { describe, it } from "node:test";
import fc from "fast-check";
import { maxStreakOp, negativeStreakOp, streakOp } from "../../../src/engine/aggregate/ops/streak-ops.ts";
import { assertCode, ctx, drive } from "./helpers.ts";

const T0 = 1_700_000_000_000;
const evs = (matches: readonly boolean[]) => matches.map((matched, i) => ({ row: {}, now: T0 + i, matched }));

/** Lengths of the runs of `value` in the sequence. */
function runs(matches: readonly boolean[], value: boolean): number[] {
  const out = [0];
  for (const m of matches) {
    if (m === value) out[out.length - 1]!++;
    else out.push(0);
  }
  return out;
}

describe("streak / max_streak / negative_streak", () => {
  it("observe unmatched events", () => {
    for (const def of [streakOp, maxStreakOp, negativeStreakOp]) assert.equal(def.observesUnmatched, true);
  });

  it("count runs of matches and misses", () => {
    const seq = [true, true, false, true, true, true, false, false];
    assert.equal(drive(streakOp, {}).push(...evs(seq)).read(), 0);
    assert.equal(drive(maxStreakOp, {}).push(...evs(seq)).read(), 3);
    assert.equal(drive(negativeStreakOp, {}).push(...evs(seq)).read(), 2);
    assert.equal(drive(streakOp, {}).push(...evs(seq.slice(0, 6))).read(), 3);
  });

  it("negative_streak without `where` (every event matches) stays 0", () => {
    assert.equal(drive(negativeStreakOp, {}).push(...evs([true, true, true])).read(), 0);
  });

  it("accept an optional known field", () => {
    assertCode(() => streakOp.parse({ field: "nope" }, ctx(), undefined), "aggregation_unknown_field");
    assert.deepEqual(streakOp.fields(streakOp.parse({ field: "device" }, ctx(), undefined)), ["device"]);
  });

  it("match the run lengths of the match sequence (property)", () => {
    fc.assert(
      fc.property(fc.array(fc.boolean(), { maxLength: 200 }), (seq) => {
        const pos = runs(seq, true);
        assert.equal(drive(streakOp, {}).push(...evs(seq)).read(), pos.at(-1));
        assert.equal(drive(maxStreakOp, {}).push(...evs(seq)).read(), Math.max(...pos));
        assert.equal(drive(negativeStreakOp, {}).push(...evs(seq)).read(), runs(seq, false).at(-1));
      }),
    );
  });

  it("keep two numbers of state", () => {
    const s = drive(maxStreakOp, {}).push(...evs([true, false, true])).s;
    assert.deepEqual(Object.keys(s).length, 2);
  });
});
