import { describe, it } from "node:test";
import assert from "node:assert/strict";
import fc from "fast-check";
import { hashValue } from "../../../src/engine/sketch/hash.ts";
import type { Value } from "../../../src/engine/types.ts";

const TWO_POW_32 = 4294967296;

/** Pearson chi-square statistic of `keys` bucketed into 2^bits buckets by `bucket`. */
function chiSquare(keys: readonly number[], bits: number, bucket: (h: number) => number): number {
  const n = 1 << bits;
  const counts = new Float64Array(n);
  for (const k of keys) counts[bucket(k)]++;
  const expected = keys.length / n;
  let chi = 0;
  for (const c of counts) chi += ((c - expected) * (c - expected)) / expected;
  return chi;
}

/** Accepts a chi-square with df degrees of freedom if it is within 5 standard deviations of its mean. */
function assertUniform(chi: number, df: number, label: string): void {
  assert.ok(Math.abs(chi - df) < 5 * Math.sqrt(2 * df), `${label}: chi-square ${chi.toFixed(1)} for df ${df}`);
}

describe("hashValue", () => {
  it("returns integers in [0, 2^53)", () => {
    fc.assert(
      fc.property(fc.jsonValue(), (v) => {
        const h = hashValue(v as Value);
        return Number.isSafeInteger(h) && h >= 0;
      }),
    );
  });

  it("lets the type participate", () => {
    const hashes = [1, "1", true, null, [1], ["1"], { 1: 1 }, 0, "", false, [], {}, "true", "null"].map((v) => hashValue(v as Value));
    assert.equal(new Set(hashes).size, hashes.length);
  });

  it("hashes equal values equally (-0 is 0, object key order is irrelevant)", () => {
    assert.equal(hashValue(-0), hashValue(0));
    assert.equal(hashValue({ a: 1, b: [2, "x"] }), hashValue({ b: [2, "x"], a: 1 }));
    fc.assert(fc.property(fc.jsonValue(), (v) => hashValue(v as Value) === hashValue(structuredClone(v) as Value)));
  });

  it("distinguishes near-identical strings and numbers", () => {
    const values: Value[] = ["a", "a\0", "\0a", "ab", "ba", "", "\0", "\0\0", 1, 1 + Number.EPSILON, 2 ** 53, -1, 0.1, 0.30000000000000004];
    assert.equal(new Set(values.map(hashValue)).size, values.length);
  });

  it("has no collisions over 200k sequential integers and strings", () => {
    const seen = new Set<number>();
    for (let i = 0; i < 100_000; i++) {
      seen.add(hashValue(i));
      seen.add(hashValue(`user-${i}`));
    }
    assert.equal(seen.size, 200_000);
  });

  it("spreads structured keys uniformly over every bit range the sketches use", () => {
    const ints: number[] = [];
    const strings: number[] = [];
    const floats: number[] = [];
    for (let i = 0; i < 1 << 16; i++) {
      ints.push(hashValue(i));
      strings.push(hashValue(`k${i}`));
      floats.push(hashValue(i / 8));
    }
    const ranges: [string, (h: number) => number][] = [
      ["bits 0-9", (h) => h & 1023],
      ["bits 22-31", (h) => (h >>> 22) & 1023],
      ["bits 33-42", (h) => Math.floor(h / 2 ** 33) & 1023],
      ["bits 43-52", (h) => Math.floor(h / 2 ** 43) & 1023],
      ["bits 27-36 (straddling the lanes)", (h) => Math.floor(h / 2 ** 27) & 1023],
    ];
    for (const [name, keys] of [["ints", ints], ["strings", strings], ["floats", floats]] as const) {
      for (const [label, bucket] of ranges) assertUniform(chiSquare(keys, 10, bucket), 1023, `${name} ${label}`);
    }
  });

  it("has independent-looking lanes (low and high halves do not correlate)", () => {
    const keys: number[] = [];
    for (let i = 0; i < 1 << 16; i++) keys.push(hashValue(`user-${i}`));
    // 5 low bits x 5 high bits as one 10-bit bucket: uniform only if the halves are independent.
    const joint = (h: number) => ((h & 31) << 5) | (Math.floor(h / TWO_POW_32) & 31);
    assertUniform(chiSquare(keys, 10, joint), 1023, "joint low/high");
  });
});
