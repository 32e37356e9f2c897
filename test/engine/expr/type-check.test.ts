import { test } from "node:test";
import assert from "node:assert/strict";
import { checkExpression, compileChecked, parseExpression } from "../../../src/engine/expr/index.ts";
import { T } from "../../../src/engine/types.ts";
import { assertExprError, resolveField, typeOf } from "./helpers.ts";

const check = (src: string): void => {
  checkExpression(parseExpression(src), resolveField);
};

test("literal and field types", () => {
  assert.deepEqual(typeOf("1"), T.i64);
  assert.deepEqual(typeOf("1.0"), T.f64);
  assert.deepEqual(typeOf("'a'"), T.str);
  assert.deepEqual(typeOf("true"), T.bool);
  assert.deepEqual(typeOf("null"), T.null);
  assert.deepEqual(typeOf("ts"), T.timestamp);
  assert.deepEqual(typeOf("tags"), T.array(T.str));
  assert.deepEqual(typeOf("user_txn.amt_mean_1d_10m"), T.f64);
});

test("arithmetic result types: i64⊕i64 → i64, mixed → f64, / → f64, null takes the other side", () => {
  assert.deepEqual(typeOf("i + j"), T.i64);
  assert.deepEqual(typeOf("i * j - 3 % j"), T.i64);
  assert.deepEqual(typeOf("i + f"), T.f64);
  assert.deepEqual(typeOf("f % 2"), T.f64);
  assert.deepEqual(typeOf("i / j"), T.f64);
  assert.deepEqual(typeOf("-i"), T.i64);
  assert.deepEqual(typeOf("-f"), T.f64);
  assert.deepEqual(typeOf("i + null"), T.i64);
  assert.deepEqual(typeOf("null * f"), T.f64);
  assert.deepEqual(typeOf("null - null"), T.null);
  assert.deepEqual(typeOf("null / 2"), T.f64);
});

test("comparisons, logic and isnull are bool", () => {
  for (const src of ["i < f", "s >= t", "b == c", "ts > 0", "ts <= 1.5", "ts != ts", "i == null", "null < s", "not b", "b and c or not b", "b and null", "isnull(js)"]) {
    assert.deepEqual(typeOf(src), T.bool, src);
  }
});

test("unknown fields are errors naming the field", () => {
  assertExprError(() => check("amount > 1"), 1, /unknown field 'amount'/);
  assertExprError(() => check("i > 1 and x.y"), 11, /unknown field 'x\.y'/);
  assert.throws(() => check("toString"), /unknown field 'toString'/);
  try {
    check("i + nope");
  } catch (e) {
    assert.equal((e as { details: Record<string, unknown> }).details.field, "nope");
  }
});

test("arithmetic on non-numbers is an error at the operator's column", () => {
  assertExprError(() => check("s + 1"), 3, /'\+' needs numbers, got str and i64/);
  assertExprError(() => check("1 * b"), 3, /'\*' needs numbers, got i64 and bool/);
  assertExprError(() => check("ts - 1"), 4, /needs numbers, got timestamp and i64/);
  assertExprError(() => check("i % js"), 3, /needs numbers/);
  assertExprError(() => check("-s"), 1, /unary '-' needs a number, got str/);
});

test("comparing incomparable types is an error", () => {
  assertExprError(() => check("s == 1"), 3, /cannot compare str with i64/);
  assertExprError(() => check("b < 1.5"), 3, /cannot compare bool with f64/);
  assertExprError(() => check("s > b"), 3, /cannot compare str with bool/);
  assertExprError(() => check("js == js"), 4, /cannot compare json with json/);
  assertExprError(() => check("tags != tags"), 6, /cannot compare array<str> with array<str>/);
});

test("and/or/not need bool operands", () => {
  assertExprError(() => check("b and i"), 7, /'and' needs bool operands, got i64/);
  assertExprError(() => check("s or b"), 1, /'or' needs bool operands, got str/);
  assertExprError(() => check("not f"), 1, /'not' needs a bool, got f64/);
  assertExprError(() => check("i + not b"), 3, /needs numbers, got i64 and bool/);
});

test("function argument types", () => {
  assertExprError(() => check("lower(i)"), 7, /lower: argument 1 must be a string, got i64/);
  assertExprError(() => check("contains(s, 1)"), 13, /contains: argument 2 must be a string/);
  assertExprError(() => check("abs(s)"), 5, /abs: argument 1 must be a number, got str/);
  assertExprError(() => check("round(f, 1.5)"), 10, /round: argument 2 must be an integer, got f64/);
  assertExprError(() => check("sqrt(b)"), 6, /sqrt: argument 1 must be a number/);
  assertExprError(() => check("pow(2, s)"), 8, /pow: argument 2 must be a number/);
  assertExprError(() => check("length(tags)"), 8, /length: argument 1 must be a string, got array<str>/);
  assertExprError(() => check("quadkey(s, f, 3)"), 9, /quadkey: argument 1 must be a number/);
  assertExprError(() => check("coalesce(i, s)"), 13, /coalesce: argument 2 \(str\) has no common type with the earlier arguments \(i64\)/);
  assertExprError(() => check("coalesce(b, null, 1)"), 19, /no common type/);
  assertExprError(() => check("cast(js, int)"), 1, /cannot cast json to int/);
  assertExprError(() => check("cast(tags, str)"), 1, /cannot cast array<str> to str/);
});

test("quadkey zoom must be an integer literal from 1 to 24", () => {
  assert.deepEqual(typeOf("quadkey(f, g, 1)"), T.i64);
  assert.deepEqual(typeOf("quadkey(i, null, 24)"), T.i64);
  assertExprError(() => check("quadkey(f, g, 0)"), 15, /zoom must be an integer literal from 1 to 24/);
  assertExprError(() => check("quadkey(f, g, 25)"), 15, /zoom/);
  assertExprError(() => check("quadkey(f, g, -3)"), 15, /zoom/);
  assertExprError(() => check("quadkey(f, g, i)"), 15, /zoom/);
  assertExprError(() => check("quadkey(f, g, 3.0)"), 15, /zoom/);
});

test("function result types", () => {
  assert.deepEqual(typeOf("abs(i)"), T.i64);
  assert.deepEqual(typeOf("abs(f)"), T.f64);
  assert.deepEqual(typeOf("floor(i)"), T.i64);
  assert.deepEqual(typeOf("ceil(f)"), T.f64);
  assert.deepEqual(typeOf("round(i, -2)"), T.i64);
  assert.deepEqual(typeOf("round(f)"), T.f64);
  assert.deepEqual(typeOf("abs(null)"), T.null);
  for (const src of ["sqrt(i)", "ln(f)", "exp(1)", "pow(i, j)", "sqrt(null)"]) assert.deepEqual(typeOf(src), T.f64, src);
  assert.deepEqual(typeOf("lower(s)"), T.str);
  assert.deepEqual(typeOf("upper(null)"), T.str);
  assert.deepEqual(typeOf("length(s)"), T.i64);
  assert.deepEqual(typeOf("contains(s, 'x')"), T.bool);
  assert.deepEqual(typeOf("starts_with(s, t)"), T.bool);
  assert.deepEqual(typeOf("isnull(tags)"), T.bool);
});

test("coalesce unifies its arguments; i64 widens to f64; null unifies with anything", () => {
  assert.deepEqual(typeOf("coalesce(i, j)"), T.i64);
  assert.deepEqual(typeOf("coalesce(i, 0.0)"), T.f64);
  assert.deepEqual(typeOf("coalesce(user_txn.amt_mean_1d_10m, 0)"), T.f64);
  assert.deepEqual(typeOf("coalesce(null, s, 'x')"), T.str);
  assert.deepEqual(typeOf("coalesce(null)"), T.null);
  assert.deepEqual(typeOf("coalesce(tags, tags)"), T.array(T.str));
  assert.deepEqual(typeOf("coalesce(ts, 0)"), T.timestamp);
});

test("cast result types; every scalar is castable", () => {
  assert.deepEqual(typeOf("cast(s, int)"), T.i64);
  assert.deepEqual(typeOf("cast(b, float)"), T.f64);
  assert.deepEqual(typeOf("cast(ts, str)"), T.str);
  assert.deepEqual(typeOf("cast(null, bool)"), T.bool);
});

test("type errors use the caller's error code", () => {
  assertExprError(() => compileChecked("s + 1", resolveField, "aggregation_invalid_where"), 3, /needs numbers/, "aggregation_invalid_where");
  assertExprError(() => compileChecked("zzz", resolveField, "aggregation_invalid_where"), 1, /unknown field/, "aggregation_invalid_where");
});
