import type { Value, ValueType } from "../../types.ts";
import type { OperatorDef } from "../operator.ts";
import { fail, presentField, requireField } from "./lifetime-support.ts";

export interface MinMaxParams {
  readonly field: string;
  readonly type: ValueType;
}

/** A value min/max can order: numbers (NaN excluded), strings and booleans. */
type Ordered = number | string | boolean;

const ORDERABLE: ReadonlySet<string> = new Set(["i64", "f64", "str", "bool", "timestamp", "json"]);

/** Field types whose values are always numbers: min/max over them fit one f64 slot. */
const NUMERIC: ReadonlySet<string> = new Set(["i64", "f64", "timestamp"]);

/**
 * Negative when a < b, positive when a > b, 0 when equal, NaN when they cannot be compared.
 * Numbers compare numerically across i64 and f64 (DESIGN §4: beava's "5 then 3.5 keeps 5" is not
 * copied); strings by code unit (lexicographic); false < true. Mixed kinds never compare, so a json
 * field that carries both numbers and strings keeps the kind it saw first.
 */
function compare(a: Ordered, b: Ordered): number {
  if (typeof a !== typeof b) return NaN;
  return a < b ? -1 : a > b ? 1 : 0;
}

function ordered(v: Value | undefined): Ordered | undefined {
  switch (typeof v) {
    case "number":
      return Number.isNaN(v) ? undefined : v;
    case "string":
    case "boolean":
      return v;
    default:
      return undefined;
  }
}

function minMaxOp(op: "min" | "max"): OperatorDef<MinMaxParams, Ordered | null> {
  // sign: keep the new value when compare(new, current) has this sign.
  const sign = op === "min" ? -1 : 1;
  const better = (cand: Ordered, cur: Ordered): boolean => compare(cand, cur) * sign > 0;
  return {
    op,
    windowSupport: "windowed",
    params: ["field"],
    parse(params, ctx) {
      const ref = requireField(params, ctx, op);
      if (!ORDERABLE.has(ref.type.kind)) {
        fail("aggregation_unknown_field", ctx, op, `field ${JSON.stringify(ref.field)} of type ${ref.type.kind} has no order`);
      }
      return ref;
    },
    // The value is kept as pushed, so the output has the field's type.
    outputType: (p) => p.type,
    fields: (p) => [p.field],
    create: () => null,
    update(s, p, row) {
      const v = ordered(presentField(row, p.field));
      // A numeric field's value is kept only when it is a number: an optional field is not
      // type-checked on push, and a string must not become the min of an i64 feature.
      if (v === undefined || (typeof v !== "number" && NUMERIC.has(p.type.kind))) return s;
      return s === null || better(v, s) ? v : s;
    },
    read: (s) => s,
    merge: (into, from) => (from === null ? into : into === null || better(from, into) ? from : into),
    // [v], NaN while empty. Strings, booleans and json (mixed kinds) keep the object form.
    slots: {
      accumulator: (p) => (NUMERIC.has(p.type.kind) ? { kind: op, field: p.field } : undefined),
      read: (a, o) => {
        const v = a[o]!;
        return v === v ? v : null;
      },
    },
  };
}

export const minOp = minMaxOp("min");
export const maxOp = minMaxOp("max");
