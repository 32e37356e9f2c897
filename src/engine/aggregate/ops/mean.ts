import { T } from "../../types.ts";
import type { OperatorDef } from "../operator.ts";
import { numericField } from "../operator.ts";
import { finiteOrNull, numericFieldParam } from "./windowed-support.ts";

export interface MeanState {
  n: number;
  sum: number;
}

/** `mean`: sum / n of the numeric values. Empty → null. */
export const meanOp: OperatorDef<{ readonly field: string }, MeanState> = {
  op: "mean",
  windowSupport: "windowed",
  params: ["field"],
  parse: (params, ctx) => ({ field: numericFieldParam(params, ctx, "mean").field }),
  outputType: () => T.f64,
  fields: (p) => [p.field],
  create: () => ({ n: 0, sum: 0 }),
  update(s, p, row) {
    const v = numericField(row, p.field);
    if (v !== undefined) {
      s.n++;
      s.sum += v;
    }
    return s;
  },
  read: (s) => (s.n === 0 ? null : finiteOrNull(s.sum / s.n)),
  merge(into, from) {
    into.n += from.n;
    into.sum += from.sum;
    return into;
  },
  slots: {
    accumulator: (p) => ({ kind: "moments", field: p.field, trunc: false, order: 1 }),
    read: (a, o) => (a[o] === 0 ? null : finiteOrNull(a[o + 1]! / a[o]!)),
  },
};
