import { TOP_K_MAX_K, topKAdd, topKCreate, topKMerge, topKResult } from "../../sketch/top-k.ts";
import type { TopK } from "../../sketch/top-k.ts";
import { T } from "../../types.ts";
import type { Value, ValueType } from "../../types.ts";
import type { OperatorDef } from "../operator.ts";
import { presentField, requireField } from "./lifetime-support.ts";
import { intParam } from "./windowed-support.ts";

export interface TopKParams {
  readonly field: string;
  readonly k: number;
  readonly type: ValueType;
}

/**
 * `top_k`: the k most frequent values as `[{value, count}]`, count descending then value ascending
 * (strings < numbers < booleans). Exact up to 1024 distinct values, then count-min + heap. Only
 * scalar values are counted; NaN, lists and maps are skipped. Empty → [].
 */
export const topKOp: OperatorDef<TopKParams, TopK> = {
  op: "top_k",
  windowSupport: "windowed",
  params: ["field", "k"],
  parse(params, ctx) {
    const { field, type } = requireField(params, ctx, "top_k");
    const k = intParam(params, ctx, "top_k", "k", 10, 1, TOP_K_MAX_K, "invalid_top_k_k");
    return { field, k, type };
  },
  outputType: (p) => ({
    kind: "array",
    element: { kind: "struct", fields: [{ name: "value", type: p.type }, { name: "count", type: T.i64 }] },
  }),
  fields: (p) => [p.field],
  create: (p) => topKCreate(p.k),
  update(s, p, row) {
    const v = presentField(row, p.field);
    if (typeof v === "string" || typeof v === "boolean" || (typeof v === "number" && !Number.isNaN(v))) topKAdd(s, v);
    return s;
  },
  read: (s) => topKResult(s) as unknown as Value,
  merge(into, from) {
    topKMerge(into, from);
    return into;
  },
};
