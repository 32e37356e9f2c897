import { test } from "node:test";
import assert from "node:assert/strict";
import { compileExpression, parseExpression } from "../../../src/engine/expr/index.ts";
import type { Value } from "../../../src/engine/types.ts";
import { run } from "./helpers.ts";

const TRUTH: readonly (boolean | null)[] = [true, false, null];

test("and: false wins over null; true∧null → null", () => {
  const expected = (x: boolean | null, y: boolean | null): boolean | null =>
    x === false || y === false ? false : x === true && y === true ? true : null;
  for (const x of TRUTH) for (const y of TRUTH) assert.equal(run("b and c", { b: x, c: y }), expected(x, y), `${x} and ${y}`);
  // a third operand through `i > 0`: 1 → true, -1 → false, absent → null
  const asInt = (z: boolean | null): number | undefined => (z === null ? undefined : z ? 1 : -1);
  for (const x of TRUTH)
    for (const y of TRUTH)
      for (const z of TRUTH) {
        const want = x === false || y === false || z === false ? false : x === true && y === true && z === true ? true : null;
        assert.equal(run("b and c and i > 0", { b: x, c: y, i: asInt(z) ?? null }), want, `${x} and ${y} and ${z}`);
      }
});

test("or: true wins over null; false∨null → null", () => {
  const expected = (x: boolean | null, y: boolean | null): boolean | null =>
    x === true || y === true ? true : x === false && y === false ? false : null;
  for (const x of TRUTH) for (const y of TRUTH) assert.equal(run("b or c", { b: x, c: y }), expected(x, y), `${x} or ${y}`);
  assert.equal(run("b or c or false", { b: false, c: false }), false);
  assert.equal(run("b or c or true", { b: null, c: false }), true);
});

test("not: not null → null", () => {
  assert.equal(run("not b", { b: true }), false);
  assert.equal(run("not b", { b: false }), true);
  assert.equal(run("not b", {}), null);
  assert.equal(run("not null"), null);
});

test("non-bool runtime operands of and/or/not count as null", () => {
  // b is declared bool; a string in the row reads as null
  assert.equal(run("b and true", { b: "yes" }), null);
  assert.equal(run("b or false", { b: 1 }), null);
  assert.equal(run("not b", { b: 0 }), null);
  assert.equal(run("b or true", { b: "yes" }), true);
});

test("comparisons: numbers across i64/f64/timestamp, str with str, bool with bool", () => {
  assert.equal(run("i < f", { i: 1, f: 1.5 }), true);
  assert.equal(run("i == f", { i: 2, f: 2.0 }), true);
  assert.equal(run("ts > 1000", { ts: 2000 }), true);
  assert.equal(run("ts >= f", { ts: 2000, f: 2000 }), true);
  assert.equal(run("s < t", { s: "apple", t: "banana" }), true);
  assert.equal(run("s == 'x'", { s: "x" }), true);
  assert.equal(run("s != 'x'", { s: "x" }), false);
  assert.equal(run("s >= 'b'", { s: "a" }), false);
  assert.equal(run("b > c", { b: true, c: false }), true);
  assert.equal(run("b <= c", { b: true, c: false }), false);
  assert.equal(run("b == true", { b: true }), true);
  const ops: readonly [string, (a: number, b: number) => boolean][] = [
    ["<", (a, b) => a < b],
    ["<=", (a, b) => a <= b],
    [">", (a, b) => a > b],
    [">=", (a, b) => a >= b],
    ["==", (a, b) => a === b],
    ["!=", (a, b) => a !== b],
  ];
  for (const [op, fn] of ops) {
    for (const [x, y] of [[1, 2], [2, 2], [3, 2], [-1.5, -1]]) {
      assert.equal(run(`i ${op} f`, { i: x, f: y }), fn(x, y), `${x} ${op} ${y}`);
    }
    assert.equal(run(`s ${op} t`, { s: "b", t: "a" }), fn(1, 0), `b ${op} a`);
  }
});

test("comparisons with null or of mismatched runtime types → null; NaN compares false", () => {
  for (const op of ["<", "<=", ">", ">=", "==", "!="]) {
    assert.equal(run(`i ${op} 1`, {}), null, `missing ${op}`);
    // `== null` / `!= null` are rewritten to isnull tests
    assert.equal(run(`i ${op} null`, { i: 1 }), op === "==" ? false : op === "!=" ? true : null, `null ${op}`);
    assert.equal(run(`i ${op} (i + null)`, { i: 1 }), null, `null-valued ${op}`);
    assert.equal(run(`f ${op} 1`, { f: Number.NaN }), false, `NaN ${op}`);
    assert.equal(run(`f ${op} g`, { f: Number.NaN, g: Number.NaN }), false, `NaN ${op} NaN`);
    // i is declared i64; a string in the row reads as null
    assert.equal(run(`i ${op} 1`, { i: "1" }), null, `str-in-i64 ${op}`);
  }
  // unchecked nodes compare whatever arrives: cross-type is null
  const cmp = compileExpression(parseExpression("x == y"));
  assert.equal(cmp({ x: "1", y: 1 }), null);
  assert.equal(cmp({ x: true, y: 1 }), null);
  assert.equal(cmp({ x: [1], y: [1] }), null);
  assert.equal(cmp({ x: "a", y: "a" }), true);
});

test("i64 arithmetic stays i64 and saturates; mixed → f64", () => {
  assert.equal(run("i + j", { i: 2, j: 3 }), 5);
  assert.equal(run("i - j", { i: 2, j: 3 }), -1);
  assert.equal(run("i * j", { i: -4, j: 3 }), -12);
  assert.equal(run("i + f", { i: 1, f: 0.5 }), 1.5);
  assert.equal(run("i * 9223372036854775807", { i: 2 }), 9223372036854775807);
  assert.equal(run("i * 9223372036854775807", { i: -2 }), -9223372036854775807);
  assert.equal(run("-i", { i: -9223372036854775807 }), 9223372036854775807);
  assert.equal(run("i - 9223372036854775807 - 9223372036854775807", { i: 0 }), -9223372036854775807);
  // f64 does not saturate
  assert.equal(run("f * 9223372036854775807", { f: 2 }), 2 * 9223372036854775807);
  assert.equal(run("f * 1e300 * 1e300", { f: 1 }), Infinity);
});

test("/ always yields f64; division by zero → null", () => {
  assert.equal(run("i / j", { i: 7, j: 2 }), 3.5);
  assert.equal(run("i / j", { i: -7, j: 2 }), -3.5);
  assert.equal(run("i / j", { i: 7, j: 0 }), null);
  assert.equal(run("f / 0.0", { f: 1 }), null);
  assert.equal(run("f / g", { f: 0, g: -0 }), null);
});

test("% on i64 truncates toward zero; mod 0 → null", () => {
  assert.equal(run("i % j", { i: 7, j: 3 }), 1);
  assert.equal(run("i % j", { i: -7, j: 3 }), -1);
  assert.equal(run("i % j", { i: 7, j: -3 }), 1);
  assert.equal(run("i % j", { i: 7, j: 0 }), null);
  assert.equal(run("f % 2", { f: 5.5 }), 1.5);
  assert.equal(run("f % 0", { f: 5.5 }), null);
});

test("arithmetic with null, missing or mistyped operands → null", () => {
  for (const op of ["+", "-", "*", "/", "%"]) {
    assert.equal(run(`i ${op} 1`, {}), null);
    assert.equal(run(`1 ${op} i`, { i: null }), null);
    assert.equal(run(`i ${op} null`, { i: 1 }), null);
    assert.equal(run(`f ${op} 1`, { f: "2.5" }), null);
    assert.equal(run(`f ${op} 1`, { f: [1] }), null);
  }
  assert.equal(run("-i", {}), null);
  assert.equal(run("-f", { f: true }), null);
  const unchecked = compileExpression(parseExpression("x + y"));
  assert.equal(unchecked({ x: "1", y: 2 }), null);
  assert.equal(unchecked({ x: true, y: 2 }), null);
  assert.equal(unchecked({ x: 1.5, y: 2 }), 3.5);
});

test("precedence is honoured at runtime", () => {
  assert.equal(run("1 + 2 * 3"), 7);
  assert.equal(run("(1 + 2) * 3"), 9);
  assert.equal(run("10 - 4 - 3"), 3);
  assert.equal(run("-2 * 3 + 1"), -5);
  assert.equal(run("2 * -i", { i: 3 }), -6);
  assert.equal(run("i > 1 and i < 5 or i == 10", { i: 10 }), true);
  assert.equal(run("not i > 1", { i: 0 }), true);
  assert.equal(run("1 + 2 > 2 * 1"), true);
});

test("fields: missing → null; dotted names; declared-type guards; inherited names are not fields", () => {
  assert.equal(run("user_txn.amt_mean_1d_10m", { "user_txn.amt_mean_1d_10m": 2.5 }), 2.5);
  assert.equal(run("user_txn.amt_mean_1d_10m", { user_txn: { amt_mean_1d_10m: 2.5 } }), null);
  assert.equal(run("i", {}), null);
  assert.equal(run("i", { i: "12" }), null);
  assert.equal(run("s", { s: 12 }), null);
  assert.equal(run("b", { b: "true" }), null);
  assert.deepEqual(run("tags", { tags: ["a"] }), ["a"]);
  assert.deepEqual(run("js", { js: { a: 1 } }), { a: 1 });
  const unchecked = (src: string, row: Record<string, Value>): Value => compileExpression(parseExpression(src))(row);
  assert.equal(unchecked("constructor", {}), null);
  assert.equal(unchecked("toString", {}), null);
  assert.equal(unchecked("__proto__", {}), null);
  assert.equal(unchecked("constructor", { constructor: 5 }), 5);
  assert.equal(unchecked("isnull(hasOwnProperty)", {}), true);
});

test("the realtime example: amt > COALESCE(user_txn.amt_mean_1d_10m, 0.0)", () => {
  assert.equal(run("i > COALESCE(user_txn.amt_mean_1d_10m, 0.0)", { i: 10, "user_txn.amt_mean_1d_10m": 12.5 }), false);
  assert.equal(run("i > COALESCE(user_txn.amt_mean_1d_10m, 0.0)", { i: 10, "user_txn.amt_mean_1d_10m": null }), true);
  assert.equal(run("i > COALESCE(user_txn.amt_mean_1d_10m, 0.0)", { i: 10 }), true);
});

test("the deepest accepted expression compiles and evaluates", () => {
  const src = "abs(".repeat(512) + "i" + ")".repeat(512);
  assert.equal(run(src, { i: -3 }), 3);
  const negs = "(-".repeat(256) + "i" + ")".repeat(256);
  assert.equal(run(negs, { i: 3 }), 3);
});
