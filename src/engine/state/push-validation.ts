import { TesseraError } from "../../errors/tessera-error.ts";
import { hasControlChar } from "../control-chars.ts";
import type { CompiledEvent } from "../registry/index.ts";
import type { Row, WireType } from "../types.ts";

/**
 * Push validation, beava §4.2 steps 2–6 (the transport owns step 1: JSON parse and the event name;
 * the engine does step 7, the dedupe lookup). Codes and order:
 *  2. `data` not a JSON object → invalid_event;
 *  3. a control character (Unicode Cc, which includes \t \n \r) in the event name, a field name or
 *     any string value, nested ones included → control_character_in_string;
 *  4. not a registered event → event_not_found (404);
 *  5. a field outside the schema → unknown_field_event_time_v0 for event_time / event_time_ms, else
 *     unknown_field_v0;
 *  6. a required field missing, null or type-incompatible → invalid_event (i64 and f64 accept any
 *     JSON number, str needs a string, bool a boolean, bytes / datetime / json anything non-null;
 *     optional fields are not type-checked).
 * Data nested deeper than MAX_NESTING is invalid_event (checked with step 3).
 */

/** Deepest nesting of lists and maps inside an event's data. */
export const MAX_NESTING = 64;

function hasControl(v: unknown, depth: number): boolean {
  if (typeof v === "string") return hasControlChar(v);
  if (typeof v !== "object" || v === null) return false;
  // Bounds the recursion here and in everything that later walks the row (dedupe keys, encoders).
  if (depth > MAX_NESTING) {
    throw new TesseraError("invalid_event", `invalid_event: values may nest at most ${MAX_NESTING} levels deep`, { limit: MAX_NESTING });
  }
  if (Array.isArray(v)) {
    for (const x of v) if (hasControl(x, depth + 1)) return true;
    return false;
  }
  for (const k in v) {
    if (hasControlChar(k) || hasControl((v as Record<string, unknown>)[k], depth + 1)) return true;
  }
  return false;
}

/**
 * Steps 2–6 in one pass, for the usual push: `data` an object whose every key is a field of the
 * registered event `ev` (its pushChecks: names free of control characters), no control character
 * in any value, every required field present and type-compatible. True: the push is valid. False:
 * some step may fail, and checkPushShape then checkPushFields name the first error in the steps'
 * order (or find none). (A nesting deeper than MAX_NESTING throws here as it would there: every earlier key passed.)
 */
export function acceptsPush(ev: CompiledEvent, data: unknown): data is Row {
  if (typeof data !== "object" || data === null || Array.isArray(data)) return false;
  const checks = ev.pushChecks;
  let required = 0;
  for (const k in data) {
    const t = checks.get(k);
    if (t === undefined) return false;
    const v = (data as Row)[k];
    if (typeof v === "string" ? hasControlChar(v) : typeof v === "object" && v !== null && hasControl(v, 1)) return false;
    if (t === null) continue;
    if (v === undefined || v === null || !compatible(t, v)) return false;
    required++;
  }
  return required === ev.requiredCount;
}

/** Steps 2–3: the payload shape, before the event is looked up. */
export function checkPushShape(event: string, data: unknown): Row {
  const row = data === undefined ? {} : data;
  if (typeof row !== "object" || row === null || Array.isArray(row)) {
    throw new TesseraError("invalid_event", "invalid_event: `data` must be a JSON object");
  }
  if (hasControlChar(event) || hasControlInRow(row as Row)) {
    throw new TesseraError("control_character_in_string", "control_character_in_string: strings must not contain control characters");
  }
  return row as Row;
}

/** hasControl for the row itself: its own loop, so the usual flat row stays on V8's fast for-in path. */
function hasControlInRow(row: Row): boolean {
  for (const k in row) {
    if (hasControlChar(k)) return true;
    const v = row[k];
    if (typeof v === "string" ? hasControlChar(v) : typeof v === "object" && v !== null && hasControl(v, 1)) return true;
  }
  return false;
}

function compatible(t: WireType, v: unknown): boolean {
  switch (t) {
    case "i64":
    case "f64":
      return typeof v === "number";
    case "str":
      return typeof v === "string";
    case "bool":
      return typeof v === "boolean";
    default:
      return true;
  }
}

/**
 * Steps 5 then 6 against the event's schema, field by field in their order: throws the first
 * error (the usual valid push never gets here: acceptsPush took it).
 */
export function checkPushFields(ev: CompiledEvent, row: Row): void {
  const types = ev.wireTypes;
  for (const k in row) {
    if (!types.has(k)) {
      if (k === "event_time" || k === "event_time_ms") {
        throw new TesseraError("unknown_field_event_time_v0", `unknown_field_event_time_v0: ${ev.name} has no field ${JSON.stringify(k)}`, { field: k });
      }
      throw new TesseraError("unknown_field_v0", `unknown_field_v0: ${ev.name} has no field ${JSON.stringify(k)}`, { field: k });
    }
  }
  const optional = ev.schema.optional;
  for (const f of ev.fields) {
    if (optional.has(f.name)) continue;
    const v = row[f.name];
    if (v === undefined || v === null) {
      throw new TesseraError("invalid_event", `invalid_event: required field ${JSON.stringify(f.name)} is missing or null`, { field: f.name });
    }
    if (!compatible(f.wireType, v)) {
      throw new TesseraError("invalid_event", `invalid_event: field ${JSON.stringify(f.name)} must be ${f.wireType}`, { field: f.name });
    }
  }
}
