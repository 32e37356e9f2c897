import type { JsonObject, JsonValue } from "@bufbuild/protobuf";

/**
 * JSON data (feature rows, registry diffs, error details) as the value of a google.protobuf.Struct
 * field. A Struct number is a double, and protobuf JSON has no spelling for NaN or ±Infinity (the
 * JSON encoder throws on them), so a non-finite number becomes null: what beava's JSON encoder
 * writes for it (beava-behaviour §2.2) and what JSON.stringify writes on the REST routes. The binary
 * wires get null too, so every wire reads the same row. Absent (undefined) members are dropped, as
 * JSON.stringify drops them.
 */
export function toStruct(data: Readonly<Record<string, unknown>>): JsonObject {
  const out: JsonObject = {};
  for (const k of Object.keys(data)) {
    const v = data[k];
    if (v !== undefined) out[k] = toValue(v);
  }
  return out;
}

function toValue(v: unknown): JsonValue {
  switch (typeof v) {
    case "number":
      return Number.isFinite(v) ? v : null;
    case "string":
    case "boolean":
      return v;
    case "object":
      if (v === null) return null;
      if (Array.isArray(v)) return v.map(toValue);
      return toStruct(v as Record<string, unknown>);
    default:
      // undefined inside an array (JSON.stringify writes null there); engine values hold nothing else.
      return null;
  }
}
