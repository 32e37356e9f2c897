import { distinctAddHash, distinctCreate, distinctEstimate, distinctMerge } from "../../sketch/distinct-counter.ts";
import type { DistinctCounter } from "../../sketch/distinct-counter.ts";
import { HLL_MAX_PRECISION, HLL_MIN_PRECISION } from "../../sketch/hyperloglog.ts";
import { hashValue } from "../../sketch/hash.ts";
import { T } from "../../types.ts";
import type { OperatorDef } from "../operator.ts";
import { presentField, requireField } from "./lifetime-support.ts";
import { intParam } from "./windowed-support.ts";

export interface DistinctParams {
  readonly field: string;
  /** HLL precision once promoted. */
  readonly precision: number;
  /** Distinct values counted exactly before promotion. */
  readonly threshold: number;
}

/** beava's n_unique: exact up to 1024 distinct values, then HLL p=12 (≈1.6 % standard error). */
const N_UNIQUE_PRECISION = 12;
const N_UNIQUE_THRESHOLD = 1024;
/** Tecton's approx_count_distinct default precision. */
const ACD_DEFAULT_PRECISION = 8;

function distinctOp(
  op: string,
  aliases: readonly string[],
  params: readonly string[],
  parse: OperatorDef<DistinctParams, DistinctCounter>["parse"],
): OperatorDef<DistinctParams, DistinctCounter> {
  return {
    op,
    aliases,
    windowSupport: "windowed",
    params,
    parse,
    outputType: () => T.i64,
    fields: (p) => [p.field],
    create: (p) => distinctCreate(p.precision, p.threshold),
    update(s, p, row) {
      const v = presentField(row, p.field);
      // Values are hashed with their type, so 1 and "1" are distinct (beava §2.3).
      if (v !== undefined && !(typeof v === "number" && Number.isNaN(v))) distinctAddHash(s, hashValue(v));
      return s;
    },
    read: (s) => distinctEstimate(s),
    merge(into, from) {
      distinctMerge(into, from);
      return into;
    },
  };
}

export const nUniqueOp = distinctOp("n_unique", [], ["field"], (params, ctx) => ({
  field: requireField(params, ctx, "n_unique").field,
  precision: N_UNIQUE_PRECISION,
  threshold: N_UNIQUE_THRESHOLD,
}));

/**
 * Tecton's `approx_count_distinct(precision)`: a HyperLogLog of that precision (4..16, default 8).
 * Small sets are counted exactly while the exact hashes (8 B each) take no more room than the HLL's
 * 2^p one-byte registers, i.e. up to 2^p / 8 values; beyond that it is the HLL.
 */
export const approxCountDistinctOp = distinctOp("approx_count_distinct", [], ["field", "precision"], (params, ctx) => {
  const field = requireField(params, ctx, "approx_count_distinct").field;
  const precision = intParam(params, ctx, "approx_count_distinct", "precision", ACD_DEFAULT_PRECISION, HLL_MIN_PRECISION, HLL_MAX_PRECISION, "invalid_registration");
  return { field, precision, threshold: (1 << precision) / 8 };
});
