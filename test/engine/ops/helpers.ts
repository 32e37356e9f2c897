import assert from "node:assert/strict";
import { deserialize, serialize } from "node:v8";
import type { OperatorDef, ParamContext, RawParams } from "../../../src/engine/aggregate/operator.ts";
import { T } from "../../../src/engine/types.ts";
import type { Row, Value, ValueType } from "../../../src/engine/types.ts";
import { isTesseraError } from "../../../src/errors/tessera-error.ts";
import type { ErrorCode } from "../../../src/errors/codes.ts";

/** Drives OperatorDefs directly through their contract, the way the catalogue does. */

// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type AnyDef = OperatorDef<any, any>;

/** The schema most tests use. */
export const SCHEMA: Readonly<Record<string, ValueType>> = {
  amount: T.f64,
  qty: T.i64,
  device: T.str,
  flag: T.bool,
  payload: T.json,
  /** Any value: the property tests push numbers, strings, booleans and nulls here. */
  x: T.json,
  lat: T.f64,
  lon: T.f64,
  home_lat: T.f64,
  home_lon: T.f64,
};

export function ctx(fields: Readonly<Record<string, ValueType>> = SCHEMA): ParamContext {
  return { feature: "f", fieldType: (name) => (Object.hasOwn(fields, name) ? fields[name] : undefined) };
}

export interface Ev {
  readonly row: Row;
  readonly now: number;
  /** The `where` outcome; true when omitted. */
  readonly matched?: boolean;
}

export interface Driven<P, S> {
  readonly p: P;
  s: S;
  /** Applies events as the catalogue would: unmatched ones only reach ops that observe them. */
  push(...events: Ev[]): Driven<P, S>;
  read(now?: number): Value;
}

export function drive<P, S>(def: OperatorDef<P, S>, params: RawParams, windowMs?: number): Driven<P, S> {
  const p = def.parse(params, ctx(), windowMs);
  let lastNow = 0;
  const d: Driven<P, S> = {
    p,
    s: def.create(p),
    push(...events) {
      for (const e of events) {
        const matched = e.matched ?? true;
        if (matched || def.observesUnmatched === true) d.s = def.update(d.s, p, e.row, matched, e.now);
        lastNow = Math.max(lastNow, e.now);
      }
      return d;
    },
    // Reads default to the latest event time, as a read right after the last push.
    read: (now = lastNow) => def.read(d.s, p, now),
  };
  return d;
}

/** Events for `field` with the given values, one per `stepMs` from `t0`. */
export function series(field: string, values: readonly Value[], t0 = 1_700_000_000_000, stepMs = 1000): Ev[] {
  return values.map((v, i) => ({ row: { [field]: v }, now: t0 + i * stepMs }));
}

/** Events with `x` set to each value in turn; `undefined` leaves the field out of the row. */
export function xRows(vals: readonly (Value | undefined)[], t0 = 1_700_000_000_000): Ev[] {
  return vals.map((v, i) => {
    const row: Row = {};
    if (v !== undefined) row.x = v;
    return { row, now: t0 + i };
  });
}

export function assertCode(fn: () => unknown, code: ErrorCode): void {
  assert.throws(fn, (e: unknown) => {
    assert.ok(isTesseraError(e), `expected a TesseraError, got ${String(e)}`);
    assert.equal(e.code, code, e.message);
    return true;
  });
}

/** A deep copy through node:v8, as snapshots store states: it fails on closures and class instances. */
export function roundTrip<S>(s: S): S {
  return deserialize(serialize(s)) as S;
}

export function assertClose(actual: Value, expected: number, tol = 1e-9, msg?: string): void {
  assert.equal(typeof actual, "number", msg ?? `expected a number, got ${JSON.stringify(actual)}`);
  const a = actual as number;
  const scale = Math.max(1, Math.abs(expected));
  assert.ok(Math.abs(a - expected) <= tol * scale, msg ?? `${a} is not within ${tol} (relative) of ${expected}`);
}
