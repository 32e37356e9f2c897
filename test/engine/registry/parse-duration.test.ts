import { test } from "node:test";
import assert from "node:assert/strict";
import { parseDuration, isValidDuration } from "../../../src/engine/registry/parse-duration.ts";
import { throwsCode } from "./helpers.ts";

test("parseDuration: units, leading zeros, forever", () => {
  assert.equal(parseDuration("1ms"), 1);
  assert.equal(parseDuration("10s"), 10_000);
  assert.equal(parseDuration("5m"), 300_000);
  assert.equal(parseDuration("05m"), 300_000);
  assert.equal(parseDuration("2h"), 7_200_000);
  assert.equal(parseDuration("30d"), 30 * 86_400_000);
  assert.equal(parseDuration("forever"), "forever");
});

test("parseDuration: rejects everything else with aggregation_invalid_window", () => {
  for (const bad of ["0s", "0ms", "1.5h", "1H", "10", "", "-1m", " 1m", "1m ", "1w", "Forever", "99999999999999999999d", "1e3s"]) {
    throwsCode(() => parseDuration(bad), "aggregation_invalid_window");
    assert.equal(isValidDuration(bad), false, bad);
  }
  for (const bad of [5, null, undefined, {}, ["1m"]]) throwsCode(() => parseDuration(bad), "aggregation_invalid_window");
});
