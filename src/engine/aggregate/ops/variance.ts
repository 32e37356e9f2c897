import { T } from "../../types.ts";
import type { OperatorDef } from "../operator.ts";
import { numericField } from "../operator.ts";
import { finiteOrNull, numericFieldParam } from "./windowed-support.ts";

/** Welford's running moments: count, mean and the sum of squared deviations. */
export interface MomentsState {
  n: number;
  mean: number;
  m2: number;
}

type Kind = "var" | "std" | "var_pop" | "std_pop";

/**
 * `var` / `std` are the SAMPLE statistics (n−1; n<2 → null) as in beava; `var_pop` / `std_pop` are
 * the population ones (n; n<1 → null) from Tecton. Bucket merge uses Chan's pairwise formula, which
 * is exact in real arithmetic.
 */
function varianceOp(op: Kind, aliases: readonly string[]): OperatorDef<{ readonly field: string }, MomentsState> {
  const sample = op === "var" || op === "std";
  const root = op === "std" || op === "std_pop";
  const moments = (n: number, m2: number): number | null => {
    const denom = sample ? n - 1 : n;
    if (denom < 1) return null;
    // Rounding can leave m2 a hair below zero for constant input.
    const v = Math.max(0, m2) / denom;
    return finiteOrNull(root ? Math.sqrt(v) : v);
  };
  return {
    op,
    aliases,
    windowSupport: "windowed",
    params: ["field"],
    parse: (params, ctx) => ({ field: numericFieldParam(params, ctx, op).field }),
    outputType: () => T.f64,
    fields: (p) => [p.field],
    create: () => ({ n: 0, mean: 0, m2: 0 }),
    update(s, p, row) {
      const x = numericField(row, p.field);
      if (x === undefined) return s;
      const n = ++s.n;
      const d = x - s.mean;
      s.mean += d / n;
      s.m2 += d * (x - s.mean);
      return s;
    },
    read: (s) => moments(s.n, s.m2),
    // [n, Σx, M2]: the mean is Σx/n (the object form keeps it running; both are Welford's update).
    slots: {
      accumulator: (p) => ({ kind: "moments", field: p.field, trunc: false, order: 2 }),
      read: (a, o) => moments(a[o]!, a[o + 2]!),
    },
    merge(into, from) {
      if (from.n === 0) return into;
      if (into.n === 0) {
        into.n = from.n;
        into.mean = from.mean;
        into.m2 = from.m2;
        return into;
      }
      const n = into.n + from.n;
      const d = from.mean - into.mean;
      into.m2 += from.m2 + (d * d * into.n * from.n) / n;
      into.mean += (d * from.n) / n;
      into.n = n;
      return into;
    },
  };
}

export const varOp = varianceOp("var", ["var_samp"]);
export const stdOp = varianceOp("std", ["stddev_samp"]);
export const varPopOp = varianceOp("var_pop", []);
export const stdPopOp = varianceOp("std_pop", ["stddev_pop"]);
