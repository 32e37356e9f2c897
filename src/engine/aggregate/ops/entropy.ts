import { T } from "../../types.ts";
import type { Value } from "../../types.ts";
import type { OperatorDef } from "../operator.ts";
import { presentField, requireField } from "./lifetime-support.ts";

/** beava's fixed category cap: categories first seen beyond it are dropped. */
export const ENTROPY_MAX_CATEGORIES = 1024;

/** Category name of a value: values are compared stringified (so 1 and "1" are one category). */
function category(v: Value): string {
  return typeof v === "object" ? JSON.stringify(v) : String(v);
}

/** `entropy`: Shannon entropy in bits of the stringified values. Empty → 0.0. State: category → count. */
export const entropyOp: OperatorDef<{ readonly field: string }, Map<string, number>> = {
  op: "entropy",
  windowSupport: "windowed",
  params: ["field"],
  parse: (params, ctx) => ({ field: requireField(params, ctx, "entropy").field }),
  outputType: () => T.f64,
  fields: (p) => [p.field],
  create: () => new Map(),
  update(s, p, row) {
    const v = presentField(row, p.field);
    if (v === undefined) return s;
    const c = category(v);
    const n = s.get(c);
    if (n !== undefined) s.set(c, n + 1);
    else if (s.size < ENTROPY_MAX_CATEGORIES) s.set(c, 1);
    return s;
  },
  read(s) {
    let total = 0;
    for (const n of s.values()) total += n;
    let h = 0;
    for (const n of s.values()) {
      const q = n / total;
      h -= q * Math.log2(q);
    }
    // -0 (one category) reads as 0.
    return h + 0;
  },
  merge(into, from) {
    for (const [c, n] of from) {
      const m = into.get(c);
      if (m !== undefined) into.set(c, m + n);
      else if (into.size < ENTROPY_MAX_CATEGORIES) into.set(c, n);
    }
    return into;
  },
};
