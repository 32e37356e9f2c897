import assert from "node:assert/strict";
import { describe, test } from "node:test";
import type { ValueType } from "../../src/engine/index.ts";
import { formatTimestamp, parseTimestamp } from "../../src/serving/rfc3339.ts";
import { compileEncoder as compile } from "../../src/serving/value-encoder.ts";

/** Corners of the encoders that no registered feature reaches easily over the wire. */

/** An encoder whose wire values are compared as the JSON the REST reply writes (undefined: does not fit). */
function compileEncoder(t: ValueType): (v: unknown) => string | undefined {
  const encode = compile(t);
  return (v) => {
    const wire = encode(v as never);
    return wire === undefined ? undefined : JSON.stringify(wire);
  };
}

const i64: ValueType = { kind: "i64" };
const f64: ValueType = { kind: "f64" };
const str: ValueType = { kind: "str" };

describe("value encoders", () => {
  test("int64: decimal strings, exact beyond 2^53, saturated at the i64 range; non-integers do not fit", () => {
    const e = compileEncoder(i64);
    assert.equal(e(669), '"669"');
    assert.equal(e(-0), '"0"');
    assert.equal(e(2 ** 60), '"1152921504606846976"');
    assert.equal(e(2 ** 63), '"9223372036854775807"');
    assert.equal(e(-(2 ** 63)), '"-9223372036854775808"');
    assert.equal(e(1e300), '"9223372036854775807"');
    assert.equal(e(null), "null");
    for (const v of [1.5, NaN, "1", true]) assert.equal(e(v), undefined, String(v));
  });

  test("nulls inside arrays, maps and structs; structs from records or positional arrays", () => {
    assert.equal(compileEncoder({ kind: "array", element: i64 })([0, 1, null]), '["0","1",null]');
    assert.equal(compileEncoder({ kind: "map", value: f64 })({ a: null, b: NaN, "x\"y": 1 }), '{"a":null,"b":"NaN","x\\"y":1}');
    const struct = compileEncoder({ kind: "struct", fields: [{ name: "s", type: str }, { name: "n", type: i64 }] });
    assert.equal(struct({ n: 3 }), '[null,"3"]');
    assert.equal(struct(["a", 2]), '["a","2"]');
    assert.equal(struct(["a"]), undefined, "a positional struct needs every field");
    const nested = compileEncoder({ kind: "array", element: { kind: "array", element: i64 } });
    assert.equal(nested([[1], null, []]), '[["1"],null,[]]');
    assert.equal(nested([[1], ["x"]]), undefined, "one misfit element makes the whole value UNKNOWN");
  });

  test("a map key named __proto__ is a key like any other", () => {
    assert.equal(compileEncoder({ kind: "map", value: i64 })(JSON.parse('{"__proto__":1,"b":2}')), '{"__proto__":"1","b":"2"}');
  });

  test("json and bytes are strings; the null type only holds null", () => {
    assert.equal(compileEncoder({ kind: "json" })({ a: [1] }), JSON.stringify('{"a":[1]}'));
    assert.equal(compileEncoder({ kind: "json" })("x"), JSON.stringify('"x"'));
    assert.equal(compileEncoder({ kind: "bytes" })("aGk="), '"aGk="');
    assert.equal(compileEncoder({ kind: "null" })(null), "null");
    assert.equal(compileEncoder({ kind: "null" })(1), undefined);
  });
});

describe("RFC 3339", () => {
  test("format: UTC with Z, milliseconds only when non-zero, Timestamp's range only", () => {
    assert.equal(formatTimestamp(0), "1970-01-01T00:00:00Z");
    assert.equal(formatTimestamp(1_699_920_000_250), "2023-11-14T00:00:00.250Z");
    assert.equal(formatTimestamp(-62_135_596_800_000), "0001-01-01T00:00:00Z");
    assert.equal(formatTimestamp(253_402_300_800_000), undefined);
    assert.equal(formatTimestamp(NaN), undefined);
  });

  test("parse: offsets, fractions, naive times as UTC; impossible dates are rejected", () => {
    assert.equal(parseTimestamp("2024-02-29T12:00:00Z"), Date.UTC(2024, 1, 29, 12));
    assert.equal(parseTimestamp("2024-03-01T00:30:00+01:00"), Date.UTC(2024, 1, 29, 23, 30));
    assert.equal(parseTimestamp("2024-03-01T00:00:00.9999-00:30"), Date.UTC(2024, 2, 1, 0, 30, 0, 999));
    assert.equal(parseTimestamp("0050-01-01T00:00:00Z"), -60_589_296_000_000);
    assert.equal(parseTimestamp("2024-03-01 00:00:00"), Date.UTC(2024, 2, 1));
    for (const bad of ["2023-02-29T00:00:00Z", "2024-13-01T00:00:00Z", "2024-01-01T24:00:00Z", "2024-01-01", "1700000000000", "2024-01-01T00:00:00+0100"]) {
      assert.equal(parseTimestamp(bad), undefined, bad);
    }
  });
});
