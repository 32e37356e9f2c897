import { test } from "node:test";
import assert from "node:assert/strict";
import fc from "fast-check";
import { checkExpression, compileExpression, parseExpression } from "../../../src/engine/expr/index.ts";
import { TesseraError } from "../../../src/errors/tessera-error.ts";
import type { Row, Value } from "../../../src/engine/types.ts";
import { resolveField } from "./helpers.ts";

// ---- random well-typed arithmetic vs a naive reference evaluator ----

type NumType = "i64" | "f64";
type Tree =
  | { readonly kind: "lit"; readonly type: NumType; readonly value: number }
  | { readonly kind: "field"; readonly name: "i" | "j" | "f" | "g" }
  | { readonly kind: "neg"; readonly operand: Tree }
  | { readonly kind: "bin"; readonly op: "+" | "-" | "*" | "/" | "%"; readonly left: Tree; readonly right: Tree };

const FIELD_TYPES: Readonly<Record<"i" | "j" | "f" | "g", NumType>> = { i: "i64", j: "i64", f: "f64", g: "f64" };
const BIG = 9223372036854775807;

const intValue = fc.oneof(fc.integer({ min: 0, max: 1000 }), fc.constantFrom(0, 1, 2 ** 31, 2 ** 53, BIG));
const floatValue = fc.oneof(fc.double({ min: 0, max: 1e6, noNaN: true }), fc.constantFrom(0, 0.5, 1e300));

const trees = fc.letrec<{ tree: Tree }>((tie) => ({
  tree: fc.oneof(
    { depthSize: "small", withCrossShrink: true },
    fc.oneof(
      intValue.map((value): Tree => ({ kind: "lit", type: "i64", value })),
      floatValue.map((value): Tree => ({ kind: "lit", type: "f64", value })),
      fc.constantFrom("i", "j", "f", "g").map((name): Tree => ({ kind: "field", name })),
    ),
    tie("tree").map((operand): Tree => ({ kind: "neg", operand })),
    fc
      .record({ op: fc.constantFrom("+", "-", "*", "/", "%"), left: tie("tree"), right: tie("tree") })
      .map((r): Tree => ({ kind: "bin", ...r })),
  ),
})).tree;

function typeOfTree(t: Tree): NumType {
  switch (t.kind) {
    case "lit":
      return t.type;
    case "field":
      return FIELD_TYPES[t.name];
    case "neg":
      return typeOfTree(t.operand);
    case "bin":
      return t.op === "/" || typeOfTree(t.left) === "f64" || typeOfTree(t.right) === "f64" ? "f64" : "i64";
  }
}

const sat = (x: number): number => Math.trunc(Math.max(-BIG, Math.min(BIG, x)));

function reference(t: Tree, row: Row): number | null {
  switch (t.kind) {
    case "lit":
      return t.value;
    case "field": {
      const v = row[t.name];
      return typeof v === "number" ? v : null;
    }
    case "neg": {
      const v = reference(t.operand, row);
      if (v === null) return null;
      return typeOfTree(t) === "i64" ? sat(-v) : -v;
    }
    case "bin": {
      const a = reference(t.left, row);
      const b = reference(t.right, row);
      if (a === null || b === null) return null;
      const int = typeOfTree(t) === "i64";
      switch (t.op) {
        case "+":
          return int ? sat(a + b) : a + b;
        case "-":
          return int ? sat(a - b) : a - b;
        case "*":
          return int ? sat(a * b) : a * b;
        case "/":
          return b === 0 ? null : a / b;
        case "%":
          return b === 0 ? null : int ? sat(a % b) : a % b;
      }
    }
  }
}

const PRECEDENCE = { "+": 1, "-": 1, "*": 2, "/": 2, "%": 2 } as const;

/** Prints with the fewest parentheses normal precedence allows, so the parser's precedence is exercised. */
function print(t: Tree): { text: string; prec: number } {
  switch (t.kind) {
    case "lit": {
      if (t.type === "i64") return { text: t.value >= BIG ? "9223372036854775807" : String(t.value), prec: 4 };
      const s = String(t.value);
      return { text: /[.e]/.test(s) ? s : `${s}.0`, prec: 4 };
    }
    case "field":
      return { text: t.name, prec: 4 };
    case "neg": {
      const inner = print(t.operand);
      return { text: `-${inner.prec < 3 ? `(${inner.text})` : inner.text}`, prec: 3 };
    }
    case "bin": {
      const p = PRECEDENCE[t.op];
      const l = print(t.left);
      const r = print(t.right);
      const left = l.prec < p ? `(${l.text})` : l.text;
      const right = r.prec <= p ? `(${r.text})` : r.text;
      return { text: `${left} ${t.op} ${right}`, prec: p };
    }
  }
}

const rows = fc.record(
  {
    i: fc.oneof(intValue, fc.integer({ min: -1000, max: 0 }), fc.constant(null)),
    j: fc.oneof(intValue, fc.constantFrom(-BIG, 0, null)),
    f: fc.oneof(fc.double(), fc.constant(null)),
    g: fc.oneof(floatValue, fc.constantFrom(-0.5, 0, null)),
  },
  { requiredKeys: [] },
);

test("property: compiled arithmetic equals a naive reference evaluator", () => {
  fc.assert(
    fc.property(trees, fc.array(rows, { minLength: 1, maxLength: 4 }), (tree, sample) => {
      const source = print(tree).text;
      const node = parseExpression(source);
      assert.equal(checkExpression(node, resolveField).kind, typeOfTree(tree), source);
      const evaluate = compileExpression(node);
      for (const row of sample) {
        assert.deepEqual(evaluate(row as Row), reference(tree, row as Row), `${source} on ${JSON.stringify(row)}`);
      }
    }),
    { numRuns: 500 },
  );
});

// ---- fuzz: nothing but TesseraError escapes, evaluation never throws ----

const TOKENS = [
  "(", ")", ",", " ", "i", "f", "s", "b", "js", "tags", "x.y", "user_txn.amt_mean_1d_10m", "constructor",
  "1", "0", "1.5", ".5", "1e", "1e5", "99999999999999999999", "'a'", "'", "\\", "+", "-", "*", "/", "%",
  "==", "=", "!=", "<>", "<", ">=", "!", "and", "OR", "not", "null", "true", "abs(", "round(", "coalesce(",
  "cast(", "int", "str", "quadkey(", "lower(", "length(", "pow(", "isnull(", "frob(", ".", "é",
];
const tokenSoup = fc.array(fc.constantFrom(...TOKENS), { maxLength: 30 }).map((parts) => parts.join(""));
const anyRow = fc.dictionary(fc.constantFrom("i", "f", "s", "b", "js", "tags", "x.y", "constructor"), fc.jsonValue() as fc.Arbitrary<Value>);

function mustBeTesseraError(e: unknown, source: string): void {
  assert.ok(e instanceof TesseraError, `${JSON.stringify(source)} threw ${String(e)}`);
  assert.equal(typeof e.details.column, "number");
}

test("property: arbitrary input parses or throws TesseraError; evaluation never throws", () => {
  fc.assert(
    fc.property(fc.oneof(fc.string({ unit: "binary" }), fc.string(), tokenSoup), fc.array(anyRow, { maxLength: 3 }), (source, sample) => {
      let node;
      try {
        node = parseExpression(source);
      } catch (e) {
        mustBeTesseraError(e, source);
        return;
      }
      // unchecked nodes must evaluate without throwing too
      const unchecked = compileExpression(node);
      for (const row of sample) unchecked(row);
      try {
        checkExpression(node, resolveField);
      } catch (e) {
        mustBeTesseraError(e, source);
        return;
      }
      const checked = compileExpression(node);
      for (const row of sample) checked(row);
    }),
    { numRuns: 3000 },
  );
});
