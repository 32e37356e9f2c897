/**
 * Value and type model shared by the whole engine.
 *
 * Runtime values are plain JSON-like JS values. Integers (i64) and floats (f64) are both JS numbers;
 * which one a value is comes from its static type (the event schema, an expression's inferred type, an
 * operator's declared output type), never from the runtime value. i64 values are exact up to 2^53
 * (JSON parsing in JS limits them anyway); arithmetic on i64 truncates and saturates at ±(2^63-1).
 */

/** Event-schema field types as written on the wire (beava). */
export type WireType = "str" | "i64" | "f64" | "bool" | "bytes" | "datetime" | "json";

export const WIRE_TYPES: readonly WireType[] = ["str", "i64", "f64", "bool", "bytes", "datetime", "json"];

/** A runtime value. Objects are plain records (maps and histograms); arrays are lists. */
export type Value = null | number | string | boolean | Value[] | { [key: string]: Value };

/** An event row or a derived row. Absent and null are both "null" to expressions. */
export type Row = Record<string, Value>;

/**
 * Static type of a value produced by a feature, an expression or a field. `timestamp` values are
 * epoch milliseconds (numbers). `json`/`bytes` are opaque. `null` is the type of the literal null.
 */
export type ValueType =
  | { readonly kind: "i64" }
  | { readonly kind: "f64" }
  | { readonly kind: "bool" }
  | { readonly kind: "str" }
  | { readonly kind: "timestamp" }
  | { readonly kind: "bytes" }
  | { readonly kind: "json" }
  | { readonly kind: "null" }
  | { readonly kind: "array"; readonly element: ValueType }
  | { readonly kind: "map"; readonly value: ValueType }
  | { readonly kind: "struct"; readonly fields: readonly { readonly name: string; readonly type: ValueType }[] };

export const T = {
  i64: { kind: "i64" },
  f64: { kind: "f64" },
  bool: { kind: "bool" },
  str: { kind: "str" },
  timestamp: { kind: "timestamp" },
  bytes: { kind: "bytes" },
  json: { kind: "json" },
  null: { kind: "null" },
  array: (element: ValueType): ValueType => ({ kind: "array", element }),
  map: (value: ValueType): ValueType => ({ kind: "map", value }),
} as const satisfies Record<string, ValueType | ((t: ValueType) => ValueType)>;

/** The static type a schema field of the given wire type has inside the engine. */
export function wireTypeToValueType(w: WireType): ValueType {
  switch (w) {
    case "str":
      return T.str;
    case "i64":
      return T.i64;
    case "f64":
      return T.f64;
    case "bool":
      return T.bool;
    case "bytes":
      return T.bytes;
    case "datetime":
      return T.timestamp;
    case "json":
      return T.json;
  }
}

export function typeEquals(a: ValueType, b: ValueType): boolean {
  return JSON.stringify(a) === JSON.stringify(b);
}

export function isNumericType(t: ValueType): boolean {
  return t.kind === "i64" || t.kind === "f64";
}

/** A field schema: field name -> static type, plus which fields may be absent or null. */
export interface Schema {
  readonly fields: ReadonlyMap<string, ValueType>;
  readonly optional: ReadonlySet<string>;
}
