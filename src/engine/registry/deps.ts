import type { ErrorCode } from "../../errors/codes.ts";
import type { Row, Schema, Value, ValueType } from "../types.ts";

/**
 * What the registry needs from its neighbours (src/engine/expr and src/engine/aggregate/catalogue.ts).
 * The registry core (`createPlanner`) is written against this interface so it can be tested in
 * isolation; `index.ts` wires the real modules.
 */

/** The part of an AggregationSpec the registry reads. Everything else is opaque to it. */
export interface AggregationSpecLike {
  readonly feature: string;
  readonly op: string;
  readonly outputType: ValueType;
}

export interface CheckedExpression {
  readonly type: ValueType;
  readonly evaluate: (row: Row) => Value;
  readonly fields: readonly string[];
}

export interface RegistryDeps<A extends AggregationSpecLike = AggregationSpecLike> {
  /** src/engine/expr `compileChecked`: parse + type-check + compile; throws TesseraError(errorCode). */
  compileChecked(src: string, resolve: (field: string) => ValueType | undefined, errorCode?: ErrorCode): CheckedExpression;
  /** src/engine/aggregate/catalogue.ts `compileAggregation` (beava §1.4 per-op checks 1–11). */
  compileAggregation(input: { feature: string; op: string; params: Record<string, unknown> }, schema: Schema): A;
  /** Optional: the catalogue's op-name check (for the JSON-level memory-governance check). */
  isKnownOperator?: (op: string) => boolean;
}
