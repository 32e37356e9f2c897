import type { OperatorDef } from "../operator.ts";
import { T } from "../../types.ts";
import type { Value, ValueType } from "../../types.ts";
import { fieldAndN, presentField, valueEquals } from "./lifetime-support.ts";

/**
 * Tecton's first_distinct(n) / last_distinct(n) (tecton-behaviour.md §5.3): the first / last n
 * distinct values, ascending by time. Windowed: buckets are merged oldest → newest. Distinctness is
 * exact typed equality (`1` and `"1"` differ). States are the value lists themselves (≤ n entries),
 * so membership is a linear scan — cheap at n ≤ 1024 and smaller than a side index.
 */

interface DistinctNParams {
  readonly field: string;
  readonly type: ValueType;
  readonly n: number;
}

function indexOfValue(vals: readonly Value[], v: Value): number {
  for (let i = 0; i < vals.length; i++) if (valueEquals(vals[i]!, v)) return i;
  return -1;
}

/** The first n distinct values in order of first appearance. */
export const firstDistinctNOp: OperatorDef<DistinctNParams, Value[]> = {
  op: "first_distinct_n",
  windowSupport: "windowed",
  params: ["field", "n"],
  parse: (params, ctx) => fieldAndN(params, ctx, "first_distinct_n"),
  outputType: (p) => T.array(p.type),
  fields: (p) => [p.field],
  create: () => [],
  update(s, p, row) {
    if (s.length < p.n) {
      const v = presentField(row, p.field);
      if (v !== undefined && indexOfValue(s, v) < 0) s.push(v);
    }
    return s;
  },
  read: (s) => s.slice(),
  // A newer bucket's list holds its first n distinct values, of which at most |into| repeat older
  // ones, so the values still missing from `into` are always among them.
  merge(into, from, p) {
    for (let i = 0; i < from.length && into.length < p.n; i++) {
      if (indexOfValue(into, from[i]!) < 0) into.push(from[i]!);
    }
    return into;
  },
};

/** The n most recently seen distinct values, ordered by their latest appearance (oldest first). */
export const lastDistinctNOp: OperatorDef<DistinctNParams, Value[]> = {
  op: "last_distinct_n",
  windowSupport: "windowed",
  params: ["field", "n"],
  parse: (params, ctx) => fieldAndN(params, ctx, "last_distinct_n"),
  outputType: (p) => T.array(p.type),
  fields: (p) => [p.field],
  create: () => [],
  update(s, p, row) {
    const v = presentField(row, p.field);
    if (v === undefined) return s;
    const i = indexOfValue(s, v);
    if (i >= 0) s.splice(i, 1);
    else if (s.length === p.n) s.shift();
    s.push(v);
    return s;
  },
  read: (s) => s.slice(),
  // Every value of the newer bucket is more recent than anything older, so the result is the older
  // list minus the values seen again, followed by the newer list, cut to the newest n.
  merge(into, from, p) {
    const kept = into.filter((v) => indexOfValue(from, v) < 0);
    const vals = kept.concat(from);
    return vals.length > p.n ? vals.slice(vals.length - p.n) : vals;
  },
};
