import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { canonicalKeyValue, compileKeyExtractor, decodeSegment, encodeSegment, readKey } from "../../../src/engine/state/keys.ts";

const failsParse = (f: () => unknown) => assert.throws(f, (e: { code: string }) => e.code === "key_parse_failure");

describe("keys", () => {
  it("canonicalise values: i64 decimal, f64 shortest round-trip, bool, string", () => {
    assert.equal(canonicalKeyValue(42), "42");
    assert.equal(canonicalKeyValue(-0), "0");
    assert.equal(canonicalKeyValue(0.1), "0.1");
    assert.equal(canonicalKeyValue(1e21), "1e+21");
    assert.equal(canonicalKeyValue(true), "true");
    assert.equal(canonicalKeyValue("x"), "x");
    for (const v of [null, undefined, NaN, [1], { a: 1 }]) assert.equal(canonicalKeyValue(v), undefined);
  });
  it("escape % and | inside a segment, and decode both (any case)", () => {
    assert.equal(encodeSegment("a|b%c"), "a%7Cb%25c");
    assert.equal(decodeSegment("a%7Cb%25c"), "a|b%c");
    assert.equal(decodeSegment("a%7cb"), "a|b");
    assert.equal(decodeSegment("100%"), "100%");
  });
  it("build row keys: single, composite, global; skip unusable values", () => {
    assert.equal(compileKeyExtractor(["u"])({ u: 7 }), "7");
    assert.equal(compileKeyExtractor(["u", "m"])({ u: "a|b", m: true }), "a%7Cb|true");
    assert.equal(compileKeyExtractor([])({}), "");
    assert.equal(compileKeyExtractor(["u", "m"])({ u: "a" }), undefined);
    assert.equal(compileKeyExtractor(["u"])({ u: null }), undefined);
  });
  it("read keys from wire strings and arrays to the same canonical key", () => {
    const stored = compileKeyExtractor(["u", "m"])({ u: "a|b", m: "100%" });
    assert.equal(readKey("a%7Cb|100%25", 2), stored);
    assert.equal(readKey("a%7cb|100%25", 2), stored);
    assert.equal(readKey(["a|b", "100%"], 2), stored);
    assert.equal(readKey([7, false], 2), "7|false");
    assert.equal(readKey("", 0), "");
    assert.equal(readKey([], 0), "");
    assert.equal(readKey("", 1), "");
  });
  it("reject wrong arity and bad segments with key_parse_failure", () => {
    failsParse(() => readKey("a", 2));
    failsParse(() => readKey("a|b", 1));
    failsParse(() => readKey("x", 0));
    failsParse(() => readKey(["a"], 2));
    failsParse(() => readKey([null, "b"], 2));
  });
});
