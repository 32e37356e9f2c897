import type { Row, Value, ValueType } from "../types.ts";
import { T } from "../types.ts";
import type { CastTarget } from "./ast.ts";
import type { CompiledExpression } from "./compile.ts";
import { I64_MAX } from "./numeric.ts";

/** Accepted spellings of a cast target (case-insensitive), including the wire type names. */
export const CAST_TARGETS: ReadonlyMap<string, CastTarget> = new Map<string, CastTarget>([
  ["str", "str"],
  ["string", "str"],
  ["int", "int"],
  ["i64", "int"],
  ["float", "float"],
  ["f64", "float"],
  ["bool", "bool"],
  ["boolean", "bool"],
]);

export function castResultType(target: CastTarget): ValueType {
  switch (target) {
    case "str":
      return T.str;
    case "int":
      return T.i64;
    case "float":
      return T.f64;
    case "bool":
      return T.bool;
  }
}

/** Scalars convert; json, bytes and containers have no conversion rule. */
export function isCastable(t: ValueType): boolean {
  return ["i64", "f64", "bool", "str", "timestamp", "null"].includes(t.kind);
}

/**
 * Conversions follow beava: f64→int truncates; str→int/float parses (null on failure); bool→int is
 * 1/0; str→bool accepts only "true"/"false"; int→bool is `!= 0`; null stays null. They dispatch on
 * the runtime value so a row value of an unexpected type converts (or becomes null) instead of failing.
 */
export function compileCast(target: CastTarget, operand: CompiledExpression): CompiledExpression {
  switch (target) {
    case "int":
      return (row: Row) => toInt(operand(row));
    case "float":
      return (row: Row) => toFloat(operand(row));
    case "str":
      return (row: Row) => toStr(operand(row));
    case "bool":
      return (row: Row) => toBool(operand(row));
  }
}

const I64_LIMIT = 2n ** 63n;
const INT_TEXT = /^[+-]?[0-9]+$/;
const FLOAT_TEXT = /^[+-]?([0-9]+\.?[0-9]*|\.[0-9]+)([eE][+-]?[0-9]+)?$/;
const SPECIAL_FLOAT_TEXT = /^([+-]?)(inf|infinity|nan)$/i;

function toInt(v: Value): Value {
  switch (typeof v) {
    case "number":
      // NaN and ±Inf have no integer; finite values beyond i64 saturate like i64 arithmetic.
      if (!Number.isFinite(v)) return null;
      return Math.trunc(Math.min(Math.max(v, -I64_MAX), I64_MAX));
    case "boolean":
      return v ? 1 : 0;
    case "string": {
      if (!INT_TEXT.test(v)) return null;
      const big = BigInt(v);
      return big >= -I64_LIMIT && big < I64_LIMIT ? Number(v) : null;
    }
    default:
      return null;
  }
}

function toFloat(v: Value): Value {
  switch (typeof v) {
    case "number":
      return v;
    case "boolean":
      return v ? 1 : 0;
    case "string": {
      if (FLOAT_TEXT.test(v)) return Number(v);
      const special = SPECIAL_FLOAT_TEXT.exec(v);
      if (special === null) return null;
      if (special[2].toLowerCase() === "nan") return Number.NaN;
      return special[1] === "-" ? -Infinity : Infinity;
    }
    default:
      return null;
  }
}

function toStr(v: Value): Value {
  switch (typeof v) {
    case "string":
      return v;
    case "number":
      // Spelled so that cast(cast(x, str), float) round-trips, ±Inf included.
      if (v === Infinity) return "inf";
      if (v === -Infinity) return "-inf";
      return String(v);
    case "boolean":
      return v ? "true" : "false";
    default:
      return null;
  }
}

function toBool(v: Value): Value {
  switch (typeof v) {
    case "boolean":
      return v;
    case "number":
      return Number.isNaN(v) ? null : v !== 0;
    case "string":
      return v === "true" ? true : v === "false" ? false : null;
    default:
      return null;
  }
}
