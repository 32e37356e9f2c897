import assert from "node:assert/strict";
import { describe, it } from "node:test";
import fc from "fast-check";
import {
  ageOp,
  firstSeenInWindowOp,
  firstSeenOp,
  hasSeenOp,
  lastSeenOp,
  timeSinceLastNOp,
  timeSinceOp,
} from "../../../src/engine/aggregate/ops/recency-ops.ts";
import { assertCode, ctx, drive } from "./helpers.ts";

const T0 = 1_700_000_000_000;
const HOUR = 3_600_000;
const at = (now: number, matched = true) => ({ row: {}, now, matched });

describe("first_seen / last_seen / age / has_seen / time_since", () => {
  it("record processing times of matched events only", () => {
    const evs = [at(T0, false), at(T0 + 10), at(T0 + 20), at(T0 + 30, false)];
    assert.equal(drive(firstSeenOp, {}).push(...evs).read(), T0 + 10);
    assert.equal(drive(lastSeenOp, {}).push(...evs).read(), T0 + 20);
    assert.equal(drive(hasSeenOp, {}).push(...evs).read(), true);
    assert.equal(drive(hasSeenOp, {}).push(at(T0, false)).read(), false);
  });

  it("age and time_since are computed at read time", () => {
    const age = drive(ageOp, {}).push(at(T0), at(T0 + 1000));
    const since = drive(timeSinceOp, {}).push(at(T0), at(T0 + 1000));
    assert.equal(age.read(T0 + 1000), 1000);
    assert.equal(age.read(T0 + 61_000), 61_000);
    assert.equal(since.read(T0 + 1000), 0);
    assert.equal(since.read(T0 + 61_000), 60_000);
    // A read "before" the event (clock skew between push and read) never goes negative.
    assert.equal(since.read(T0), 0);
    assert.equal(age.read(T0 - 5), 0);
  });

  it("accept an optional field on has_seen (beava SDK), checked against the schema", () => {
    const p = hasSeenOp.parse({ field: "device" }, ctx(), undefined);
    assert.deepEqual(hasSeenOp.fields(p), ["device"]);
    assertCode(() => hasSeenOp.parse({ field: "nope" }, ctx(), undefined), "aggregation_unknown_field");
    assert.ok(!firstSeenOp.params.includes("field"));
  });
});

describe("time_since_last_n", () => {
  it("requires n in [1, 1024]", () => {
    for (const n of [undefined, 0, 1025]) assertCode(() => timeSinceLastNOp.parse({ n }, ctx(), undefined), "aggregation_unknown_field");
  });

  it("is null until n matches, then the age of the n-th most recent at read time", () => {
    const d = drive(timeSinceLastNOp, { n: 3 }).push(at(T0), at(T0 + 100));
    assert.equal(d.read(T0 + 500), null);
    d.push(at(T0 + 200), at(T0 + 300, false), at(T0 + 400));
    assert.equal(d.read(T0 + 1000), 1000 - 100);
  });

  it("matches the oracle over all match times (property)", () => {
    fc.assert(
      fc.property(
        fc.array(fc.record({ gap: fc.integer({ min: 0, max: 10_000 }), matched: fc.boolean() }), { maxLength: 50 }),
        fc.integer({ min: 1, max: 6 }),
        fc.integer({ min: 0, max: 100_000 }),
        (steps, n, later) => {
          let t = T0;
          const evs = steps.map((s) => at((t += s.gap), s.matched));
          const times = evs.filter((e) => e.matched).map((e) => e.now);
          const now = t + later;
          const expected = times.length < n ? null : now - times[times.length - n]!;
          assert.equal(drive(timeSinceLastNOp, { n }).push(...evs).read(now), expected);
        },
      ),
    );
  });
});

describe("first_seen_in_window", () => {
  it("needs a finite window (aggregation_invalid_window); forever is rejected", () => {
    assertCode(() => firstSeenInWindowOp.parse({}, ctx(), undefined), "aggregation_invalid_window");
    assertCode(() => firstSeenInWindowOp.parse({ window: "forever" }, ctx(), undefined), "aggregation_invalid_window");
    assertCode(() => firstSeenInWindowOp.parse({ window: "forever" }, ctx(), Infinity), "aggregation_invalid_window");
    assert.equal(firstSeenInWindowOp.parse({ window: "1h" }, ctx(), HOUR).windowMs, HOUR);
  });

  it("is true iff the latest match is younger than the window at read time", () => {
    const d = drive(firstSeenInWindowOp, { window: "1h" }, HOUR).push(at(T0), at(T0 + 10, false));
    assert.equal(d.read(T0), true);
    assert.equal(d.read(T0 + HOUR - 1), true);
    assert.equal(d.read(T0 + HOUR), false);
    d.push(at(T0 + HOUR));
    assert.equal(d.read(T0 + HOUR + 5), true);
  });
});
