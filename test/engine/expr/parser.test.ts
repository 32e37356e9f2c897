import { test } from "node:test";
import assert from "node:assert/strict";
import { expressionsEqual, parseExpression } from "../../../src/engine/expr/index.ts";
import type { ExprNode } from "../../../src/engine/expr/index.ts";
import { assertExprError } from "./helpers.ts";

const same = (a: string, b: string): void => assert.ok(expressionsEqual(parseExpression(a), parseExpression(b)), `${a}  ≡  ${b}`);
const differ = (a: string, b: string): void => assert.ok(!expressionsEqual(parseExpression(a), parseExpression(b)), `${a}  ≢  ${b}`);

/** Drops positions so trees can be compared with deepEqual. */
function shape(n: ExprNode): unknown {
  return JSON.parse(JSON.stringify(n, (k, v) => (k === "col" || k === "type" ? undefined : v)));
}

test("binary operators parse at top level, parentheses optional", () => {
  same("amount > 100", "(amount > 100)");
  assert.deepEqual(shape(parseExpression("amount > 100")), {
    kind: "compare",
    op: ">",
    left: { kind: "field", name: "amount" },
    right: { kind: "literal", literalType: "i64", value: 100 },
  });
});

test("normal precedence: or < and < not < comparison < + - < * / % < unary minus", () => {
  same("a or b and c", "a or (b and c)");
  same("a and b or c and d", "(a and b) or (c and d)");
  same("not a and b", "(not a) and b");
  same("not a == b", "not (a == b)");
  same("not a > 1 or b", "(not (a > 1)) or b");
  same("a + b * c", "a + (b * c)");
  same("a * b + c % d / e", "(a * b) + ((c % d) / e)");
  same("a + b > c * d", "(a + b) > (c * d)");
  same("-a * b", "(-a) * b");
  same("a * -b", "a * (-b)");
  same("a - -b", "a - (-b)");
  same("a + b > c * d and e or f", "(((a + b) > (c * d)) and e) or f");
  differ("a + b * c", "(a + b) * c");
});

test("arithmetic operators are left-associative", () => {
  same("a - b - c", "(a - b) - c");
  same("a / b / c", "(a / b) / c");
  differ("a - b - c", "a - (b - c)");
});

test("and/or chains are flattened, whatever the parentheses", () => {
  same("a and b and c", "a and (b and c)");
  same("a or b or c", "(a or b) or c");
  const n = parseExpression("a and b and c");
  assert.equal(n.kind, "logic");
  assert.equal(n.kind === "logic" && n.operands.length, 3);
  differ("a and b or c", "a and (b or c)");
});

test("not is usable anywhere an operand starts", () => {
  same("a and not b", "a and (not b)");
  same("not not a", "not (not a)");
  same("x == not b", "x == (not b)");
  same("NOT a", "not a");
});

test("keywords and function names are case-insensitive; field names are not", () => {
  same("a AND b Or NOT c", "a and b or not c");
  same("COALESCE(x, 0.0)", "coalesce(x, 0.0)");
  same("x == NULL", "isnull(x)");
  same("TRUE or False", "true or false");
  same("CAST(x, INT)", "cast(x, int)");
  differ("Amount > 1", "amount > 1");
});

test("= and <> are accepted for == and !=", () => {
  same("a = 1", "a == 1");
  same("a <> 1", "a != 1");
});

test("a dotted identifier is one field name", () => {
  assert.deepEqual(shape(parseExpression("user_txn.amt_mean_1d_10m")), { kind: "field", name: "user_txn.amt_mean_1d_10m" });
  assert.deepEqual(shape(parseExpression("_x9.Y_2")), { kind: "field", name: "_x9.Y_2" });
  // a dotted name is never a keyword
  assert.deepEqual(shape(parseExpression("and.or")), { kind: "field", name: "and.or" });
});

test("literals: integers, floats, strings, booleans, null", () => {
  const lit = (src: string): unknown => shape(parseExpression(src));
  assert.deepEqual(lit("42"), { kind: "literal", literalType: "i64", value: 42 });
  assert.deepEqual(lit("-42"), { kind: "literal", literalType: "i64", value: -42 });
  assert.deepEqual(lit("1.5"), { kind: "literal", literalType: "f64", value: 1.5 });
  assert.deepEqual(lit(".5"), { kind: "literal", literalType: "f64", value: 0.5 });
  assert.deepEqual(lit("1e5"), { kind: "literal", literalType: "f64", value: 100000 });
  assert.deepEqual(lit("2.5E-3"), { kind: "literal", literalType: "f64", value: 0.0025 });
  assert.deepEqual(lit("1.0"), { kind: "literal", literalType: "f64", value: 1 });
  assert.deepEqual(lit("1."), { kind: "literal", literalType: "f64", value: 1 });
  assert.deepEqual(lit("007"), { kind: "literal", literalType: "i64", value: 7 });
  assert.deepEqual(lit("00000000000000000000001"), { kind: "literal", literalType: "i64", value: 1 });
  assert.deepEqual(lit("-(3)"), { kind: "literal", literalType: "i64", value: -3 });
  assert.deepEqual(lit("'hi there'"), { kind: "literal", literalType: "str", value: "hi there" });
  assert.deepEqual(lit("''"), { kind: "literal", literalType: "str", value: "" });
  assert.deepEqual(lit("true"), { kind: "literal", literalType: "bool", value: true });
  assert.deepEqual(lit("false"), { kind: "literal", literalType: "bool", value: false });
  assert.deepEqual(lit("null"), { kind: "literal", literalType: "null", value: null });
  assert.deepEqual(lit("9223372036854775807"), { kind: "literal", literalType: "i64", value: 9223372036854775807 });
  assert.deepEqual(lit("-9223372036854775808"), { kind: "literal", literalType: "i64", value: -9223372036854775808 });
  assert.deepEqual(shape(parseExpression("-x")), { kind: "neg", operand: { kind: "field", name: "x" } });
});

test("string escapes: \\\\ and \\' unescape, other backslashes stay", () => {
  const str = (src: string): unknown => (parseExpression(src) as { value: unknown }).value;
  assert.equal(str(String.raw`'it\'s'`), "it's");
  assert.equal(str(String.raw`'a\\b'`), "a\\b");
  assert.equal(str(String.raw`'a\nb'`), "a\\nb");
  assert.equal(str(String.raw`'\\'`), "\\");
  assert.equal(str("'a or b'"), "a or b");
});

test("rewrites: == null → isnull, != null → not isnull", () => {
  same("x == null", "isnull(x)");
  same("null == x", "isnull(x)");
  same("x = null", "isnull(x)");
  same("x != null", "not isnull(x)");
  same("null <> x", "not isnull(x)");
  same("a + 1 == null", "isnull(a + 1)");
  // only equality is rewritten
  assert.equal(parseExpression("x > null").kind, "compare");
});

test("parse errors carry the 1-based column", () => {
  assertExprError(() => parseExpression(""), 1, /unexpected end of expression/);
  assertExprError(() => parseExpression("   "), 4, /unexpected end of expression/);
  assertExprError(() => parseExpression("a >"), 4, /unexpected end/);
  assertExprError(() => parseExpression("a > > 1"), 5, /unexpected '>'/);
  assertExprError(() => parseExpression("(a > 1"), 7, /expected '\)'/);
  assertExprError(() => parseExpression("a > 1)"), 6, /unexpected '\)'/);
  assertExprError(() => parseExpression("a b"), 3, /unexpected name 'b'/);
  assertExprError(() => parseExpression("a # b"), 3, /unexpected character "#"/);
  assertExprError(() => parseExpression("a ! b"), 3, /unexpected character "!"/);
  assertExprError(() => parseExpression("x == 'abc"), 6, /unterminated string/);
  assertExprError(() => parseExpression("x == 'abc\\'"), 6, /unterminated string/);
  assertExprError(() => parseExpression("1e"), 1, /invalid number/);
  assertExprError(() => parseExpression("x + 12abc"), 5, /invalid number/);
  assertExprError(() => parseExpression("1.2.3"), 1, /invalid number/);
  assertExprError(() => parseExpression("99999999999999999999"), 1, /out of the i64 range/);
  assertExprError(() => parseExpression("a.b.c"), 4, /only one '\.'/);
  assertExprError(() => parseExpression("a. b"), 2, /expected a name after '\.'/);
  assertExprError(() => parseExpression("x and"), 6, /unexpected end/);
  assertExprError(() => parseExpression("and x"), 1, /unexpected 'and'/);
  assertExprError(() => parseExpression("abs(1,)"), 7, /unexpected '\)'/);
  assertExprError(() => parseExpression("abs(1 2)"), 7, /expected ',' or '\)'/);
});

test("comparisons do not chain", () => {
  assertExprError(() => parseExpression("a < b < c"), 7, /comparisons do not chain/);
  assertExprError(() => parseExpression("a == b != c"), 8, /comparisons do not chain/);
  same("(a < b) == c", "(a < b) == c");
});

test("unknown functions, wrong arity and bad cast targets are parse errors", () => {
  assertExprError(() => parseExpression("x > frobnicate(1)"), 5, /unknown function 'frobnicate'/);
  assertExprError(() => parseExpression("a.b(1)"), 1, /unknown function 'a\.b'/);
  assertExprError(() => parseExpression("abs()"), 1, /abs takes 1 argument, got 0/);
  assertExprError(() => parseExpression("abs(1, 2)"), 1, /abs takes 1 argument, got 2/);
  assertExprError(() => parseExpression("round(1, 2, 3)"), 1, /round takes 1 to 2 arguments, got 3/);
  assertExprError(() => parseExpression("coalesce()"), 1, /coalesce takes at least 1 argument, got 0/);
  assertExprError(() => parseExpression("pow(2)"), 1, /pow takes 2 arguments, got 1/);
  assertExprError(() => parseExpression("cast(x, double)"), 9, /bad cast target name 'double'/);
  assertExprError(() => parseExpression("cast(x, 'int')"), 9, /bad cast target string "int"/);
  assertExprError(() => parseExpression("cast(x)"), 7, /expected ','/);
  assertExprError(() => parseExpression("cast(x, int, 1)"), 12, /expected '\)'/);
  for (const [alias, target] of [["i64", "int"], ["f64", "float"], ["string", "str"], ["boolean", "bool"], ["Str", "str"]]) {
    same(`cast(x, ${alias})`, `cast(x, ${target})`);
  }
});

test("nesting depth is limited to 512", () => {
  const parens = (n: number): string => "(".repeat(n) + "x" + ")".repeat(n);
  assert.equal(parseExpression(parens(512)).kind, "field");
  assertExprError(() => parseExpression(parens(513)), 513, /depth/);
  assertExprError(() => parseExpression("(".repeat(200_000)), 513, /depth/);
  assertExprError(() => parseExpression("not ".repeat(600) + "x"), 4 * 512 + 1, /depth/);
  assertExprError(() => parseExpression("-".repeat(600) + "x"), 513, /depth/);
  assert.equal(parseExpression("abs(".repeat(512) + "x" + ")".repeat(512)).kind, "call");
  assertExprError(() => parseExpression("abs(".repeat(513) + "x" + ")".repeat(513)), 4 * 512 + 1, /depth/);
  // a long operator chain builds a deep tree without parentheses
  assert.throws(() => parseExpression(Array(600).fill("x").join(" + ")), /depth/);
  // and/or chains are flat, so they may be long
  assert.equal(parseExpression(Array(10_000).fill("x").join(" or ")).kind, "logic");
});

test("the error code can be chosen by the caller", () => {
  assertExprError(() => parseExpression("a >", "aggregation_invalid_where"), 4, /unexpected end/, "aggregation_invalid_where");
});
