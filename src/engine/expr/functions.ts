import type { Row, Value, ValueType } from "../types.ts";
import { T, isNumericType, typeEquals } from "../types.ts";
import type { CallNode } from "./ast.ts";
import type { CompiledExpression } from "./compile.ts";
import type { Fail } from "./expr-error.ts";
import { saturateI64 } from "./numeric.ts";
import { quadkey } from "./quadkey.ts";
import { typeName } from "./type-names.ts";

/** A catalogue function (everything callable except `cast`, whose second argument is a type name). */
export interface FunctionDef {
  readonly minArgs: number;
  readonly maxArgs: number;
  /** Register-time typing: argument types in, result type out; throws through `fail` on a bad argument. */
  check(call: CallNode, argTypes: readonly ValueType[], fail: Fail): ValueType;
  /** Must never throw at runtime: arguments of an unexpected runtime type give null. */
  compile(args: readonly CompiledExpression[]): CompiledExpression;
}

export const QUADKEY_MIN_ZOOM = 1;
export const QUADKEY_MAX_ZOOM = 24;

type ArgKind = "number" | "integer" | "string";

/** Literal null (type `null`) is accepted wherever an argument kind is required. */
const ACCEPTS: Readonly<Record<ArgKind, (t: ValueType) => boolean>> = {
  number: (t) => t.kind === "null" || isNumericType(t),
  integer: (t) => t.kind === "null" || t.kind === "i64",
  string: (t) => t.kind === "null" || t.kind === "str",
};
const ARG_KIND_NAMES: Readonly<Record<ArgKind, string>> = { number: "a number", integer: "an integer", string: "a string" };

/** Checks the first `kinds.length` arguments (fewer when optional ones are absent). */
function requireArgs(call: CallNode, types: readonly ValueType[], kinds: readonly ArgKind[], fail: Fail): void {
  types.slice(0, kinds.length).forEach((t, i) => {
    const kind = kinds[i];
    if (!ACCEPTS[kind](t)) {
      fail(call.args[i].col, `${call.fn}: argument ${i + 1} must be ${ARG_KIND_NAMES[kind]}, got ${typeName(t)}`, {
        function: call.fn,
      });
    }
  });
}

/** Typing of a function whose arguments have fixed kinds and whose result type is fixed. */
function fixed(kinds: readonly ArgKind[], result: ValueType): FunctionDef["check"] {
  return (call, types, fail) => {
    requireArgs(call, types, kinds, fail);
    return result;
  };
}

/** abs, floor, ceil, round: i64 in → i64 out, f64 in → f64 out. */
const sameNumeric: FunctionDef["check"] = (call, types, fail) => {
  requireArgs(call, types, ["number", "integer"], fail);
  return types[0];
};

function numeric1(fn: (x: number) => Value): FunctionDef["compile"] {
  return ([a]) =>
    (row: Row) => {
      const x = a(row);
      return typeof x === "number" ? fn(x) : null;
    };
}

function string1(fn: (s: string) => Value): FunctionDef["compile"] {
  return ([a]) =>
    (row: Row) => {
      const s = a(row);
      return typeof s === "string" ? fn(s) : null;
    };
}

function string2(fn: (s: string, t: string) => Value): FunctionDef["compile"] {
  return ([a, b]) =>
    (row: Row) => {
      const s = a(row);
      if (typeof s !== "string") return null;
      const t = b(row);
      return typeof t === "string" ? fn(s, t) : null;
    };
}

/** SQL rounding: halves go away from zero (JS Math.round sends them towards +∞). */
function roundHalfAway(x: number): number {
  return x < 0 ? -Math.round(-x) : Math.round(x);
}

/**
 * Rounds at a decimal digit by shifting the decimal exponent of the number's shortest text form, so
 * round(1.005, 2) is 1.01 as written rather than 1.0 as a binary multiplication would give.
 */
function roundTo(x: number, digits: number): number {
  // An integer (every i64) is already exact at any non-negative number of digits.
  if (!Number.isFinite(x) || (digits >= 0 && Number.isInteger(x))) return x;
  const scaled = shiftDecimal(x, digits);
  if (!Number.isFinite(scaled)) return x;
  const rounded = shiftDecimal(roundHalfAway(scaled), -digits);
  // Rounding an i64 up to tens or hundreds may step past the i64 bound.
  return Number.isInteger(x) ? saturateI64(rounded) : rounded;
}

/** x · 10^n without binary rounding error. */
function shiftDecimal(x: number, n: number): number {
  const [mantissa, exponent = "0"] = String(x).split("e");
  return Number(`${mantissa}e${Number(exponent) + n}`);
}

function codePointLength(s: string): number {
  let n = s.length;
  for (let i = 0; i < s.length - 1; i++) {
    const c = s.charCodeAt(i);
    if (c >= 0xd800 && c <= 0xdbff) {
      const d = s.charCodeAt(i + 1);
      if (d >= 0xdc00 && d <= 0xdfff) {
        n--;
        i++;
      }
    }
  }
  return n;
}

function pow(x: number, y: number): Value {
  if (x === 0 && y < 0) return null;
  const r = x ** y;
  // NaN from non-NaN inputs is a domain error, e.g. a fractional power of a negative number.
  return Number.isNaN(r) && !Number.isNaN(x) && !Number.isNaN(y) ? null : r;
}

const coalesceType: FunctionDef["check"] = (call, types, fail) => {
  let result: ValueType = T.null;
  types.forEach((t, i) => {
    if (t.kind === "null") return;
    if (result.kind === "null" || typeEquals(result, t)) result = t;
    else if (isNumericType(result) && isNumericType(t)) result = T.f64;
    // Timestamps are epoch-ms integers, so an i64 default such as 0 fits them.
    else if ((result.kind === "timestamp" && t.kind === "i64") || (result.kind === "i64" && t.kind === "timestamp")) result = T.timestamp;
    else {
      fail(call.args[i].col, `coalesce: argument ${i + 1} (${typeName(t)}) has no common type with the earlier arguments (${typeName(result)})`, {
        function: "coalesce",
      });
    }
  });
  return result;
};

function compileCoalesce(args: readonly CompiledExpression[]): CompiledExpression {
  if (args.length === 1) return args[0];
  if (args.length === 2) {
    const [a, b] = args;
    return (row: Row) => {
      const v = a(row);
      return v !== null ? v : b(row);
    };
  }
  return (row: Row) => {
    for (const f of args) {
      const v = f(row);
      if (v !== null) return v;
    }
    return null;
  };
}

const quadkeyType: FunctionDef["check"] = (call, types, fail) => {
  requireArgs(call, types, ["number", "number"], fail);
  const zoom = call.args[2];
  if (zoom.kind !== "literal" || zoom.literalType !== "i64" || (zoom.value as number) < QUADKEY_MIN_ZOOM || (zoom.value as number) > QUADKEY_MAX_ZOOM) {
    fail(zoom.col, `quadkey: zoom must be an integer literal from ${QUADKEY_MIN_ZOOM} to ${QUADKEY_MAX_ZOOM}`, { function: "quadkey" });
  }
  return T.i64;
};

function compileQuadkey([lat, lon, zoom]: readonly CompiledExpression[]): CompiledExpression {
  return (row: Row) => {
    const a = lat(row);
    const b = lon(row);
    const z = zoom(row);
    if (typeof a !== "number" || typeof b !== "number" || Number.isNaN(a) || Number.isNaN(b)) return null;
    // The checker demands a literal zoom; unchecked nodes still must not throw.
    if (typeof z !== "number" || !Number.isInteger(z) || z < QUADKEY_MIN_ZOOM || z > QUADKEY_MAX_ZOOM) return null;
    return quadkey(a, b, z);
  };
}

function compileRound(args: readonly CompiledExpression[]): CompiledExpression {
  const [x, digits] = args;
  if (digits === undefined) return numeric1(roundHalfAway)(args);
  return (row: Row) => {
    const v = x(row);
    if (typeof v !== "number") return null;
    const d = digits(row);
    return typeof d === "number" && !Number.isNaN(d) ? roundTo(v, Math.trunc(d)) : null;
  };
}

const FUNCTIONS: ReadonlyMap<string, FunctionDef> = new Map<string, FunctionDef>([
  [
    "isnull",
    {
      minArgs: 1,
      maxArgs: 1,
      check: () => T.bool,
      compile: ([a]) => (row: Row) => a(row) === null,
    },
  ],
  ["coalesce", { minArgs: 1, maxArgs: Infinity, check: coalesceType, compile: compileCoalesce }],
  ["abs", { minArgs: 1, maxArgs: 1, check: sameNumeric, compile: numeric1(Math.abs) }],
  ["floor", { minArgs: 1, maxArgs: 1, check: sameNumeric, compile: numeric1(Math.floor) }],
  ["ceil", { minArgs: 1, maxArgs: 1, check: sameNumeric, compile: numeric1(Math.ceil) }],
  ["round", { minArgs: 1, maxArgs: 2, check: sameNumeric, compile: compileRound }],
  ["sqrt", { minArgs: 1, maxArgs: 1, check: fixed(["number"], T.f64), compile: numeric1((x) => (x < 0 ? null : Math.sqrt(x))) }],
  ["ln", { minArgs: 1, maxArgs: 1, check: fixed(["number"], T.f64), compile: numeric1((x) => (x <= 0 ? null : Math.log(x))) }],
  ["exp", { minArgs: 1, maxArgs: 1, check: fixed(["number"], T.f64), compile: numeric1(Math.exp) }],
  [
    "pow",
    {
      minArgs: 2,
      maxArgs: 2,
      check: fixed(["number", "number"], T.f64),
      compile: ([a, b]) =>
        (row: Row) => {
          const x = a(row);
          if (typeof x !== "number") return null;
          const y = b(row);
          return typeof y === "number" ? pow(x, y) : null;
        },
    },
  ],
  ["lower", { minArgs: 1, maxArgs: 1, check: fixed(["string"], T.str), compile: string1((s) => s.toLowerCase()) }],
  ["upper", { minArgs: 1, maxArgs: 1, check: fixed(["string"], T.str), compile: string1((s) => s.toUpperCase()) }],
  ["length", { minArgs: 1, maxArgs: 1, check: fixed(["string"], T.i64), compile: string1(codePointLength) }],
  ["contains", { minArgs: 2, maxArgs: 2, check: fixed(["string", "string"], T.bool), compile: string2((s, t) => s.includes(t)) }],
  ["starts_with", { minArgs: 2, maxArgs: 2, check: fixed(["string", "string"], T.bool), compile: string2((s, t) => s.startsWith(t)) }],
  ["quadkey", { minArgs: 3, maxArgs: 3, check: quadkeyType, compile: compileQuadkey }],
]);

/** `name` must be lower-case (function names are case-insensitive). */
export function lookupFunction(name: string): FunctionDef | undefined {
  return FUNCTIONS.get(name);
}
