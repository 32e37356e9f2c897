import { test } from "node:test";
import assert from "node:assert/strict";
import { quadkey } from "../../../src/engine/expr/quadkey.ts";
import { run } from "./helpers.ts";

test("isnull", () => {
  assert.equal(run("isnull(i)", {}), true);
  assert.equal(run("isnull(i)", { i: null }), true);
  assert.equal(run("isnull(i)", { i: 0 }), false);
  assert.equal(run("isnull(s)", { s: "" }), false);
  assert.equal(run("isnull(null)"), true);
  assert.equal(run("isnull(i / 0)", { i: 1 }), true);
});

test("coalesce returns the first non-null argument", () => {
  assert.equal(run("coalesce(i, j, 7)", { i: null, j: 3 }), 3);
  assert.equal(run("coalesce(i, j, 7)", {}), 7);
  assert.equal(run("coalesce(i, j)", {}), null);
  assert.equal(run("coalesce(i)", { i: 4 }), 4);
  assert.equal(run("coalesce(s, 'none')", { s: "x" }), "x");
  assert.equal(run("coalesce(s, 'none')", { s: 5 }), "none");
  assert.equal(run("coalesce(f, i)", { i: 2 }), 2);
  assert.equal(run("coalesce(b, false)", { b: false }), false);
});

test("abs, floor, ceil, round keep i64 as i64", () => {
  assert.equal(run("abs(i)", { i: -5 }), 5);
  assert.equal(run("abs(f)", { f: -2.5 }), 2.5);
  assert.equal(run("floor(f)", { f: -2.5 }), -3);
  assert.equal(run("ceil(f)", { f: -2.5 }), -2);
  assert.equal(run("floor(i)", { i: 7 }), 7);
  assert.equal(run("ceil(i)", { i: -7 }), -7);
  for (const fn of ["abs", "floor", "ceil", "round"]) {
    assert.equal(run(`${fn}(i)`, {}), null, fn);
    assert.equal(run(`${fn}(f)`, { f: "1.5" }), null, fn);
  }
});

test("round: halves away from zero; decimal digits; negative digits", () => {
  assert.equal(run("round(f)", { f: 2.5 }), 3);
  assert.equal(run("round(f)", { f: -2.5 }), -3);
  assert.equal(run("round(f)", { f: 2.4 }), 2);
  assert.equal(run("round(f, 2)", { f: 1.005 }), 1.01);
  assert.equal(run("round(f, 1)", { f: -0.25 }), -0.3);
  assert.equal(run("round(f, 3)", { f: 1e-7 }), 0);
  assert.equal(run("round(f, 400)", { f: 1.23456 }), 1.23456);
  assert.equal(run("round(f, -1)", { f: 14.9 }), 10);
  assert.equal(run("round(i, -2)", { i: 1250 }), 1300);
  assert.equal(run("round(i, -2)", { i: -1250 }), -1300);
  assert.equal(run("round(i, 3)", { i: 9007199254740991 }), 9007199254740991);
  assert.equal(run("round(i, -400)", { i: 5 }), 0);
  assert.equal(run("round(i, j)", { i: 1250 }), null);
  assert.equal(run("round(f, 2)", { f: Infinity }), Infinity);
});

test("sqrt, ln, exp, pow yield f64; domain errors → null", () => {
  assert.equal(run("sqrt(i)", { i: 9 }), 3);
  assert.equal(run("sqrt(f)", { f: -1 }), null);
  assert.equal(run("sqrt(0)"), 0);
  assert.equal(run("ln(f)", { f: Math.E }), 1);
  assert.equal(run("ln(0)"), null);
  assert.equal(run("ln(-1)"), null);
  assert.equal(run("exp(0)"), 1);
  assert.equal(run("exp(1000)"), Infinity);
  assert.equal(run("pow(2, 10)"), 1024);
  assert.equal(run("pow(f, 0.5)", { f: 4 }), 2);
  assert.equal(run("pow(-8, 1.0 / 3)"), null);
  assert.equal(run("pow(0, -1)"), null);
  assert.equal(run("pow(0, 0)"), 1);
  for (const src of ["sqrt(f)", "ln(f)", "exp(f)", "pow(f, 2)", "pow(2, f)"]) assert.equal(run(src, {}), null, src);
});

test("lower, upper, length, contains, starts_with", () => {
  assert.equal(run("lower(s)", { s: "HeLLo" }), "hello");
  assert.equal(run("UPPER(s)", { s: "HeLLo" }), "HELLO");
  assert.equal(run("length(s)", { s: "héllo" }), 5);
  assert.equal(run("length(s)", { s: "a😀b" }), 3);
  assert.equal(run("length('')"), 0);
  assert.equal(run("contains(s, 'ell')", { s: "hello" }), true);
  assert.equal(run("contains(s, 'xyz')", { s: "hello" }), false);
  assert.equal(run("contains(s, '')", { s: "hello" }), true);
  assert.equal(run("starts_with(s, t)", { s: "hello", t: "he" }), true);
  assert.equal(run("starts_with(s, t)", { s: "hello", t: "lo" }), false);
  for (const src of ["lower(s)", "upper(s)", "length(s)", "contains(s, 'a')", "contains('a', s)", "starts_with(s, 'a')"]) {
    assert.equal(run(src, {}), null, src);
    assert.equal(run(src, { s: 1 }), null, src);
  }
});

test("cast to int: f64 truncates, str parses, bool is 1/0, failures are null", () => {
  assert.equal(run("cast(f, int)", { f: 2.9 }), 2);
  assert.equal(run("cast(f, int)", { f: -2.9 }), -2);
  assert.equal(run("cast(f, int)", { f: Number.NaN }), null);
  assert.equal(run("cast(f, int)", { f: 1e300 }), 9223372036854775807);
  assert.equal(run("cast(s, int)", { s: "42" }), 42);
  assert.equal(run("cast(s, int)", { s: "-7" }), -7);
  assert.equal(run("cast(s, int)", { s: "+7" }), 7);
  assert.equal(run("cast(s, int)", { s: "4.2" }), null);
  assert.equal(run("cast(s, int)", { s: " 42" }), null);
  assert.equal(run("cast(s, int)", { s: "abc" }), null);
  assert.equal(run("cast(s, int)", { s: "99999999999999999999" }), null);
  assert.equal(run("cast(b, int)", { b: true }), 1);
  assert.equal(run("cast(b, int)", { b: false }), 0);
  assert.equal(run("cast(ts, int)", { ts: 1700000000000 }), 1700000000000);
  assert.equal(run("cast(i, int)", {}), null);
});

test("cast to float", () => {
  assert.equal(run("cast(i, float)", { i: 3 }), 3);
  assert.equal(run("cast(s, float)", { s: "2.5" }), 2.5);
  assert.equal(run("cast(s, float)", { s: "1e3" }), 1000);
  assert.equal(run("cast(s, float)", { s: ".5" }), 0.5);
  assert.equal(run("cast(s, float)", { s: "-inf" }), -Infinity);
  assert.ok(Number.isNaN(run("cast(s, float)", { s: "NaN" })));
  assert.equal(run("cast(s, float)", { s: "" }), null);
  assert.equal(run("cast(s, float)", { s: "1,5" }), null);
  assert.equal(run("cast(s, float)", { s: "0x10" }), null);
  assert.equal(run("cast(b, float)", { b: true }), 1);
  assert.equal(run("cast(null, float)"), null);
});

test("cast to str", () => {
  assert.equal(run("cast(i, str)", { i: 42 }), "42");
  assert.equal(run("cast(f, str)", { f: 2.5 }), "2.5");
  assert.equal(run("cast(f, str)", { f: Infinity }), "inf");
  assert.equal(run("cast(b, str)", { b: false }), "false");
  assert.equal(run("cast(s, str)", { s: "x" }), "x");
  assert.equal(run("cast(i, str)", {}), null);
});

test("cast to bool: str accepts only 'true'/'false'; numbers are != 0", () => {
  assert.equal(run("cast(s, bool)", { s: "true" }), true);
  assert.equal(run("cast(s, bool)", { s: "false" }), false);
  assert.equal(run("cast(s, bool)", { s: "TRUE" }), null);
  assert.equal(run("cast(s, bool)", { s: "1" }), null);
  assert.equal(run("cast(i, bool)", { i: 0 }), false);
  assert.equal(run("cast(i, bool)", { i: -3 }), true);
  assert.equal(run("cast(f, bool)", { f: 0.5 }), true);
  assert.equal(run("cast(f, bool)", { f: Number.NaN }), null);
  assert.equal(run("cast(b, bool)", { b: true }), true);
  assert.equal(run("cast(b, boolean)", {}), null);
});

test("quadkey matches hand-computed Bing tiles", () => {
  // Bing's documented example: tile (3, 5) at level 3 has quadkey "213" = 2·16 + 1·4 + 3.
  // Its centre is x = 3.5/8 → lon -22.5; y = 5.5/8 → lat = 90 - 360·atan(exp(2π(y - 0.5)))/π.
  const lat = 90 - (360 * Math.atan(Math.exp(2 * Math.PI * (5.5 / 8 - 0.5)))) / Math.PI;
  assert.equal(run("quadkey(f, g, 3)", { f: lat, g: -22.5 }), 39);
  // Sydney at zoom 2: x = 0.920, y = 0.600 → tile (3, 2) → digits "31" → 13.
  assert.equal(run("quadkey(f, g, 2)", { f: -33.8688, g: 151.2093 }), 13);
  // Zoom 1: the four quadrants 0 (NW), 1 (NE), 2 (SW), 3 (SE).
  assert.equal(run("quadkey(10, -10, 1)"), 0);
  assert.equal(run("quadkey(10, 10, 1)"), 1);
  assert.equal(run("quadkey(-10, -10, 1)"), 2);
  assert.equal(run("QUADKEY(-10.5, 10.0, 1)"), 3);
});

test("quadkey: nulls, clamping and range", () => {
  assert.equal(run("quadkey(f, g, 5)", { g: 1 }), null);
  assert.equal(run("quadkey(f, g, 5)", { f: 1 }), null);
  assert.equal(run("quadkey(f, g, 5)", { f: Number.NaN, g: 1 }), null);
  assert.equal(run("quadkey(null, 1, 5)"), null);
  // beyond ±85.05° and ±180° the tile system clamps
  assert.equal(run("quadkey(89.9, -179.9, 2)"), quadkey(85, -179, 2));
  assert.equal(run("quadkey(89.9, -200, 2)"), 0);
  assert.equal(run("quadkey(-90, 180, 24)"), 4 ** 24 - 1);
  const k = run("quadkey(f, g, 24)", { f: 47.6062, g: -122.3321 }) as number;
  assert.ok(Number.isSafeInteger(k) && k >= 0 && k < 4 ** 24);
  // a zoom-24 key extends its zoom-23 parent by one base-4 digit
  assert.equal(Math.floor(k / 4), quadkey(47.6062, -122.3321, 23));
});
