import type { ValueType } from "../../types.ts";
import type { OperatorDef } from "../operator.ts";
import { numericField } from "../operator.ts";
import { finiteOrNull, numericFieldParam, numericOutput } from "./windowed-support.ts";

export interface SumParams {
  readonly field: string;
  readonly output: ValueType;
  /** i64 input: values are truncated so an i64 sum stays an integer (DESIGN §4: sum over i64 is i64). */
  readonly integer: boolean;
}

/**
 * `sum`: the sum of the numeric values. The state is null until a value arrives (empty → null, not 0,
 * beava §2.3), then the running sum as a plain number.
 */
export const sumOp: OperatorDef<SumParams, number | null> = {
  op: "sum",
  windowSupport: "windowed",
  params: ["field"],
  parse(params, ctx) {
    const { field, type } = numericFieldParam(params, ctx, "sum");
    const output = numericOutput(type);
    return { field, output, integer: output.kind === "i64" };
  },
  outputType: (p) => p.output,
  fields: (p) => [p.field],
  create: () => null,
  update(s, p, row) {
    const v = numericField(row, p.field);
    if (v === undefined) return s;
    const x = p.integer ? Math.trunc(v) : v;
    return s === null ? x : s + x;
  },
  read: (s) => (s === null ? null : finiteOrNull(s)),
  merge: (into, from) => (from === null ? into : into === null ? from : into + from),
  // [n, Σx]: n tells "no value yet" (null) from a sum of 0.
  slots: {
    accumulator: (p) => ({ kind: "moments", field: p.field, trunc: p.integer, order: 1 }),
    read: (a, o) => (a[o] === 0 ? null : finiteOrNull(a[o + 1]!)),
  },
};
