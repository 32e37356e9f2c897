import { TesseraError } from "../../errors/tessera-error.ts";
import type { Row } from "../types.ts";

/**
 * Entity keys (DESIGN §4 "Keys"). Every key value is canonicalised to a string, on push and on read:
 * i64 as decimal, f64 as the shortest round-trip form (`String(n)`), bool as `true`/`false`, strings
 * as they are. A composite key joins its segments with `|` in key-column order; inside a segment `%`
 * is written `%25` and `|` `%7C`. The stored entity key is exactly that wire form, so a read of a
 * canonical wire key is one Map lookup. A global table (no key columns) has the single key "".
 */

/** Canonical string of one key value; undefined when the value cannot be a key (beava §2.2). */
export function canonicalKeyValue(v: unknown): string | undefined {
  switch (typeof v) {
    case "string":
      return v;
    case "number":
      // String(-0) is "0"; JSON never yields ±Infinity.
      return Number.isNaN(v) ? undefined : String(v);
    case "boolean":
      return v ? "true" : "false";
    default:
      // null, missing, lists and maps (json / bytes values) skip the event for the table.
      return undefined;
  }
}

/** Escapes one segment: `%` → `%25`, `|` → `%7C`. */
export function encodeSegment(s: string): string {
  if (!needsEscape(s)) return s;
  return s.replace(/%/g, "%25").replace(/\|/g, "%7C");
}

/**
 * Whether s contains `%` or `|`. Runs on every push, for every key column: for the short strings
 * keys usually are, one loop over the char codes is several times cheaper than two indexOf calls.
 */
function needsEscape(s: string): boolean {
  if (s.length > 64) return s.indexOf("%") >= 0 || s.indexOf("|") >= 0;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c === 37 || c === 124) return true;
  }
  return false;
}

/** Reverses encodeSegment; any other `%` sequence is kept literally. Escapes are case-insensitive. */
export function decodeSegment(s: string): string {
  if (s.indexOf("%") < 0) return s;
  return s.replace(/%(25|7C)/gi, (_m, hex: string) => (hex === "25" ? "%" : "|"));
}

/** Builds the function that computes a row's entity key; undefined = skip the event for the table. */
export function compileKeyExtractor(columns: readonly string[]): (row: Row) => string | undefined {
  if (columns.length === 0) return () => "";
  if (columns.length === 1) {
    const c = columns[0]!;
    return (row) => {
      const s = canonicalKeyValue(row[c]);
      return s === undefined ? undefined : encodeSegment(s);
    };
  }
  return (row) => {
    let key = "";
    for (let i = 0; i < columns.length; i++) {
      const s = canonicalKeyValue(row[columns[i]!]);
      if (s === undefined) return undefined;
      key = i === 0 ? encodeSegment(s) : `${key}|${encodeSegment(s)}`;
    }
    return key;
  };
}

function keyParseFailure(reason: string): TesseraError {
  return new TesseraError("key_parse_failure", `key_parse_failure: ${reason}`, { reason });
}

/**
 * The stored entity key for a read key: a wire string (segments split on `|`, escapes decoded and
 * re-encoded canonically, so `%7c` finds `%7C`) or an array of raw segment values (canonicalised and
 * encoded). Throws key_parse_failure when the number of segments is not `arity`, or a segment value
 * cannot be a key. A global table (arity 0) only accepts "" (or []).
 */
export function readKey(key: unknown, arity: number): string {
  if (typeof key === "string") {
    if (arity === 0) {
      if (key !== "") throw keyParseFailure("a global table is read with key \"\"");
      return "";
    }
    if (key.indexOf("%") < 0) {
      // Already canonical: only the arity needs checking.
      let segments = 1;
      for (let i = key.indexOf("|"); i >= 0; i = key.indexOf("|", i + 1)) segments++;
      if (segments !== arity) throw keyParseFailure(`expected ${arity} key segment(s) joined by "|", got ${segments}`);
      return key;
    }
    const parts = key.split("|");
    if (parts.length !== arity) throw keyParseFailure(`expected ${arity} key segment(s) joined by "|", got ${parts.length}`);
    return parts.map((p) => encodeSegment(decodeSegment(p))).join("|");
  }
  const parts: readonly unknown[] = Array.isArray(key) ? key : [key];
  if (parts.length !== arity) throw keyParseFailure(`expected ${arity} key segment(s), got ${parts.length}`);
  let out = "";
  for (let i = 0; i < parts.length; i++) {
    const s = canonicalKeyValue(parts[i]);
    if (s === undefined) throw keyParseFailure(`key segment ${i} must be a string, number or boolean`);
    out = i === 0 ? encodeSegment(s) : `${out}|${encodeSegment(s)}`;
  }
  return out;
}
