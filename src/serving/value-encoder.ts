import type { Value, ValueType } from "../engine/index.ts";
import { formatTimestamp, parseTimestamp } from "./rfc3339.ts";

/**
 * Compiled encoders of feature values into Tecton's wire values (tecton-behaviour.md §2.4): the JS
 * value whose JSON is what Tecton sends. int64 as a decimal string, float64 as a number or "NaN" /
 * "Infinity" / "-Infinity", booleans, strings, timestamps as RFC 3339 strings, arrays element by
 * element, structs as positional arrays, maps as objects with string keys; null is legal everywhere.
 * The REST reply is the JSON of these values and the Connect reply their google.protobuf.Value, so
 * the rules live here once for both wires. An encoder returns undefined when the value does not fit
 * the type (an optional event field is not type-checked on push, so `last` of an i64 field can hold
 * a string): serving then answers null with status UNKNOWN rather than a value of the wrong type,
 * which Tecton clients cannot parse.
 */
export type WireValue = null | boolean | number | string | readonly WireValue[] | { readonly [key: string]: WireValue };

export type ValueEncoder = (v: Value) => WireValue | undefined;

const TWO_63 = 2 ** 63;

function int64(v: Value): WireValue | undefined {
  if (v === null) return null;
  if (typeof v !== "number" || !Number.isInteger(v)) return undefined;
  // The engine saturates i64 arithmetic at ±(2^63-1), which a double rounds to ±2^63.
  if (v >= TWO_63) return "9223372036854775807";
  if (v <= -TWO_63) return "-9223372036854775808";
  // `${-0}` is "0".
  return Number.isSafeInteger(v) ? `${v}` : BigInt(v).toString();
}

function float64(v: Value): WireValue | undefined {
  if (v === null) return null;
  if (typeof v !== "number") return undefined;
  if (Number.isFinite(v)) return v;
  return Number.isNaN(v) ? "NaN" : v > 0 ? "Infinity" : "-Infinity";
}

function boolean(v: Value): WireValue | undefined {
  if (v === null) return null;
  return typeof v === "boolean" ? v : undefined;
}

function string(v: Value): WireValue | undefined {
  if (v === null) return null;
  return typeof v === "string" ? v : undefined;
}

/** Engine timestamps are epoch ms; a datetime field may also hold the RFC 3339 text it was pushed as. */
function timestamp(v: Value): WireValue | undefined {
  if (v === null) return null;
  const ms = typeof v === "number" ? v : typeof v === "string" ? parseTimestamp(v) : undefined;
  return ms === undefined ? undefined : formatTimestamp(ms);
}

/** Opaque json values travel as their JSON text, so any value round-trips through a string. */
function json(v: Value): WireValue | undefined {
  return v === null ? null : JSON.stringify(v);
}

function bytes(v: Value): WireValue | undefined {
  if (v === null) return null;
  return typeof v === "string" ? v : JSON.stringify(v);
}

function onlyNull(v: Value): WireValue | undefined {
  return v === null ? null : undefined;
}

function isRecord(v: Value): v is { [key: string]: Value } {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

export function compileEncoder(t: ValueType): ValueEncoder {
  switch (t.kind) {
    case "i64":
      return int64;
    case "f64":
      return float64;
    case "bool":
      return boolean;
    case "str":
      return string;
    case "timestamp":
      return timestamp;
    case "json":
      return json;
    case "bytes":
      return bytes;
    case "null":
      return onlyNull;
    case "array": {
      const element = compileEncoder(t.element);
      return (v) => {
        if (v === null) return null;
        if (!Array.isArray(v)) return undefined;
        const out: WireValue[] = new Array(v.length);
        for (let i = 0; i < v.length; i++) {
          const e = element(v[i]!);
          if (e === undefined) return undefined;
          out[i] = e;
        }
        return out;
      };
    }
    case "map": {
      const value = compileEncoder(t.value);
      return (v) => {
        if (v === null) return null;
        if (!isRecord(v)) return undefined;
        // Without a prototype, a key like "__proto__" is a key like any other.
        const out: { [key: string]: WireValue } = Object.create(null);
        for (const k in v) {
          const e = value(v[k]!);
          if (e === undefined) return undefined;
          out[k] = e;
        }
        return out;
      };
    }
    case "struct": {
      const names = t.fields.map((f) => f.name);
      const fields = t.fields.map((f) => compileEncoder(f.type));
      // Engine structs are records by field name (top_k's {value, count}); positional arrays are accepted too.
      return (v) => {
        if (v === null) return null;
        const positional = Array.isArray(v);
        if (!positional && !isRecord(v)) return undefined;
        if (positional && v.length !== fields.length) return undefined;
        const out: WireValue[] = new Array(fields.length);
        for (let i = 0; i < fields.length; i++) {
          const x = positional ? v[i] : (v as { [key: string]: Value })[names[i]!];
          const e = fields[i]!(x === undefined ? null : x);
          if (e === undefined) return undefined;
          out[i] = e;
        }
        return out;
      };
    }
  }
}
