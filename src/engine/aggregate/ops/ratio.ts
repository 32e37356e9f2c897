import { T } from "../../types.ts";
import type { OperatorDef } from "../operator.ts";

export interface RatioState {
  matched: number;
  total: number;
}

/**
 * `ratio`: matched / total over every event that reaches the op (after the table's prefix ops);
 * `where` gates only the numerator, so the op observes unmatched events. No events → null; no
 * `where` → 1.0.
 */
export const ratioOp: OperatorDef<null, RatioState> = {
  op: "ratio",
  windowSupport: "windowed",
  observesUnmatched: true,
  params: [],
  parse: () => null,
  outputType: () => T.f64,
  fields: () => [],
  create: () => ({ matched: 0, total: 0 }),
  update(s, _p, _row, matched) {
    s.total++;
    if (matched) s.matched++;
    return s;
  },
  read: (s) => (s.total === 0 ? null : s.matched / s.total),
  merge(into, from) {
    into.matched += from.matched;
    into.total += from.total;
    return into;
  },
  slots: { accumulator: () => ({ kind: "ratio" }), read: (a, o) => (a[o + 1] === 0 ? null : a[o]! / a[o + 1]!) },
};
