import assert from "node:assert/strict";
import type { ErrorCode } from "../../../src/errors/codes.ts";
import { TesseraError } from "../../../src/errors/tessera-error.ts";
import { compileChecked } from "../../../src/engine/expr/index.ts";
import type { Row, Value, ValueType } from "../../../src/engine/types.ts";
import { T } from "../../../src/engine/types.ts";

/** The schema most tests type-check against. */
export const FIELDS: Readonly<Record<string, ValueType>> = {
  i: T.i64,
  j: T.i64,
  f: T.f64,
  g: T.f64,
  s: T.str,
  t: T.str,
  b: T.bool,
  c: T.bool,
  ts: T.timestamp,
  js: T.json,
  tags: T.array(T.str),
  "user_txn.amt_mean_1d_10m": T.f64,
};

export const resolveField = (name: string): ValueType | undefined =>
  Object.hasOwn(FIELDS, name) ? FIELDS[name] : undefined;

/** Parse, check against FIELDS, evaluate on `row`. */
export function run(source: string, row: Row = {}): Value {
  return compileChecked(source, resolveField).evaluate(row);
}

export function typeOf(source: string): ValueType {
  return compileChecked(source, resolveField).type;
}

/** Asserts that `fn` throws a TesseraError with the code, a message matching `pattern` and `details.column`. */
export function assertExprError(fn: () => unknown, column: number, pattern: RegExp, code: ErrorCode = "invalid_expression"): void {
  assert.throws(fn, (e: unknown) => {
    assert.ok(e instanceof TesseraError, `expected TesseraError, got ${String(e)}`);
    assert.equal(e.code, code);
    assert.match(e.message, pattern);
    assert.ok(e.message.startsWith(`col ${column}: `), `message "${e.message}" should start with col ${column}`);
    assert.equal(e.details.column, column);
    return true;
  });
}
