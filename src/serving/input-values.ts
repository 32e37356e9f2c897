import { canonicalKeyValue } from "../engine/index.ts";
import type { Value, ValueType } from "../engine/index.ts";
import { parseTimestamp } from "./rfc3339.ts";
import { invalidValue, unexpectedJsonType } from "./serving-errors.ts";

/**
 * Request values on Tecton's wire (tecton-behaviour.md §2.1) turned into engine values. Join keys:
 * strings as strings, int64 as decimal strings (JSON integers accepted too), canonicalised exactly as
 * a pushed key value is (DESIGN §4 "Keys"), so `"42"` finds the entity pushed with 42. Request
 * context: int64 as decimal strings or integers, float64 as numbers or "NaN" / "Infinity" /
 * "-Infinity" (numeric strings too, as protobuf JSON reads doubles), booleans, strings, timestamps
 * as RFC 3339 strings, json fields any JSON value. null is legal everywhere.
 */

/** Parses one join key value into its canonical key segment; null stays null (the key reads nothing). */
export type JoinKeyParser = (name: string, v: unknown) => string | null;

/** Parses one request context value into the engine value realtime expressions read. */
export type ContextParser = (name: string, v: unknown) => Value;

const INTEGER = /^-?\d+$/;

const keyParsers: Readonly<Record<string, JoinKeyParser>> = {
  str(name, v) {
    if (v === null || typeof v === "string") return v;
    throw unexpectedJsonType(name, "joinKeyMap", "string");
  },
  i64(name, v) {
    if (v === null) return null;
    if (typeof v === "number" && Number.isInteger(v)) return canonicalKeyValue(v)!;
    if (typeof v === "string") {
      if (!INTEGER.test(v)) throw invalidValue(name, "joinKeyMap", "int64", v);
      return canonicalKeyValue(Number(v))!;
    }
    throw unexpectedJsonType(name, "joinKeyMap", "int64");
  },
  bool(name, v) {
    if (v === null) return null;
    if (typeof v === "boolean") return v ? "true" : "false";
    if (v === "true" || v === "false") return v;
    if (typeof v === "string") throw invalidValue(name, "joinKeyMap", "boolean", v);
    throw unexpectedJsonType(name, "joinKeyMap", "boolean");
  },
  // A datetime key is stored as pushed, so it is read back in the same spelling (text or epoch ms).
  timestamp(name, v) {
    if (v === null) return null;
    if (typeof v === "string" || (typeof v === "number" && Number.isFinite(v))) return canonicalKeyValue(v)!;
    throw unexpectedJsonType(name, "joinKeyMap", "timestamp");
  },
};

/** The registry accepts only str, i64, bool and datetime key columns; a plan for anything else fails its registration. */
export function joinKeyParser(name: string, t: ValueType): JoinKeyParser {
  const p = keyParsers[t.kind];
  if (p === undefined) throw new Error(`join key ${JSON.stringify(name)} has type ${t.kind}, which joinKeyMap cannot carry (string, int64, boolean or timestamp keys only)`);
  return p;
}

const SPECIAL_DOUBLES: Readonly<Record<string, number>> = { NaN: NaN, Infinity: Infinity, "-Infinity": -Infinity };
const DECIMAL = /^-?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/;

const contextParsers: Readonly<Record<string, ContextParser>> = {
  str(name, v) {
    if (v === null || typeof v === "string") return v;
    throw unexpectedJsonType(name, "requestContextMap", "string");
  },
  i64(name, v) {
    if (v === null) return null;
    if (typeof v === "number" && Number.isInteger(v)) return v;
    if (typeof v === "string") {
      if (!INTEGER.test(v)) throw invalidValue(name, "requestContextMap", "int64", v);
      return Number(v);
    }
    throw unexpectedJsonType(name, "requestContextMap", "int64");
  },
  f64(name, v) {
    if (v === null || typeof v === "number") return v;
    if (typeof v === "string") {
      const special = SPECIAL_DOUBLES[v];
      if (special !== undefined) return special;
      if (!DECIMAL.test(v)) throw invalidValue(name, "requestContextMap", "float64", v);
      return Number(v);
    }
    throw unexpectedJsonType(name, "requestContextMap", "float64");
  },
  bool(name, v) {
    if (v === null || typeof v === "boolean") return v;
    throw unexpectedJsonType(name, "requestContextMap", "boolean");
  },
  timestamp(name, v) {
    if (v === null) return null;
    if (typeof v !== "string") throw unexpectedJsonType(name, "requestContextMap", "timestamp");
    const ms = parseTimestamp(v);
    if (ms === undefined) throw invalidValue(name, "requestContextMap", "timestamp", v);
    return ms;
  },
  json: (_name, v) => v as Value,
  bytes(name, v) {
    if (v === null || typeof v === "string") return v;
    throw unexpectedJsonType(name, "requestContextMap", "string");
  },
};

/** Request fields have event wire types, which all have a parser; a plan for anything else fails its registration. */
export function contextParser(name: string, t: ValueType): ContextParser {
  const p = contextParsers[t.kind];
  if (p === undefined) throw new Error(`request context key ${JSON.stringify(name)} has type ${t.kind}, which requestContextMap cannot carry`);
  return p;
}
