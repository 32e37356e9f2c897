import { test } from "node:test";
import assert from "node:assert/strict";
import { compileChecked, expressionsEqual, parseExpression, referencedFields } from "../../../src/engine/expr/index.ts";
import { T } from "../../../src/engine/types.ts";
import { resolveField } from "./helpers.ts";

test("referencedFields: distinct, first-seen order, through calls, casts and rewrites", () => {
  assert.deepEqual(referencedFields(parseExpression("b and i > j or i < f")), ["b", "i", "j", "f"]);
  assert.deepEqual(referencedFields(parseExpression("coalesce(user_txn.amt_mean_1d_10m, x) > cast(s, float)")), [
    "user_txn.amt_mean_1d_10m",
    "x",
    "s",
  ]);
  assert.deepEqual(referencedFields(parseExpression("z != null and not -y > 1")), ["z", "y"]);
  assert.deepEqual(referencedFields(parseExpression("1 + 2")), []);
});

test("expressionsEqual ignores whitespace, parentheses, keyword case and operator spelling", () => {
  const eq = (a: string, b: string): boolean => expressionsEqual(parseExpression(a), parseExpression(b));
  assert.ok(eq("a>1 AND b", "(  (a > 1) and b )"));
  assert.ok(eq("x = 'a'", "x == 'a'"));
  assert.ok(eq("Coalesce(x, 1)", "coalesce(x,1)"));
  assert.ok(eq("cast(x, i64)", "CAST(x, Int)"));
  assert.ok(eq("-(5)", "-5"));
  assert.ok(eq("1.50", "1.5"));
  assert.ok(!eq("1", "1.0"));
  assert.ok(!eq("x > 1", "x >= 1"));
  assert.ok(!eq("x > 1", "y > 1"));
  assert.ok(!eq("'a'", "'A'"));
  assert.ok(!eq("coalesce(x, 1)", "coalesce(x, 1, 2)"));
  assert.ok(!eq("cast(x, int)", "cast(x, float)"));
  assert.ok(!eq("a - b - c", "a - (b - c)"));
  assert.ok(!eq("not a", "a"));
  assert.ok(!eq("-x", "x"));
});

test("expressionsEqual ignores the types recorded by checkExpression", () => {
  const checked = compileChecked("i + 1 > f", resolveField).node;
  assert.ok(expressionsEqual(checked, parseExpression("(i+1)>f")));
});

test("compileChecked returns node, type, evaluator and fields", () => {
  const c = compileChecked("i * 2 > f and s != null", resolveField);
  assert.deepEqual(c.type, T.bool);
  assert.deepEqual(c.fields, ["i", "f", "s"]);
  assert.equal(c.evaluate({ i: 2, f: 3.5, s: "x" }), true);
  assert.equal(c.evaluate({ i: 2, f: 3.5 }), false);
  assert.ok(expressionsEqual(c.node, parseExpression("(i * 2 > f) and not isnull(s)")));
});
