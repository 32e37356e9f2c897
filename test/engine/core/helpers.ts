import { compileAggregation } from "../../../src/engine/aggregate/catalogue.ts";
import type { AggregationSpec } from "../../../src/engine/aggregate/catalogue.ts";
import { featureInfo } from "../../../src/engine/state/feature-runtime.ts";
import type { FeatureInfo } from "../../../src/engine/state/feature-runtime.ts";
import { TableRuntime } from "../../../src/engine/state/table-runtime.ts";
import { wireTypeToValueType } from "../../../src/engine/types.ts";
import type { Row, Schema, Value, WireType } from "../../../src/engine/types.ts";

/** A schema from wire types. */
export function schemaOf(fields: Record<string, WireType>, optional: readonly string[] = []): Schema {
  return {
    fields: new Map(Object.entries(fields).map(([k, t]) => [k, wireTypeToValueType(t)])),
    optional: new Set(optional),
  };
}

export const SCHEMA = schemaOf({ user: "str", amt: "f64", n: "i64", s: "str", b: "bool", j: "json" }, ["amt", "n", "s", "b", "j"]);

export function compile(op: string, params: Record<string, unknown> = {}, schema: Schema = SCHEMA): AggregationSpec {
  return compileAggregation({ feature: "f", op, params }, schema);
}

/**
 * One feature over a stream of (row, time) events, read at `readAt`: a one-feature table runtime
 * (the same layout, bucket ring and accumulators the engine uses) and its single entity.
 */
export class Feature {
  readonly rt: TableRuntime;
  readonly info: FeatureInfo;
  /** The entity's numbers, created by the first push. */
  nums: number[] | undefined;

  constructor(op: string, params: Record<string, unknown> = {}, schema: Schema = SCHEMA) {
    const spec = compile(op, params, schema);
    this.rt = new TableRuntime([spec]);
    this.info = featureInfo(spec);
  }

  push(row: Row, now = 0): this {
    const e = this.rt.cursor(this.nums ?? this.rt.newNums(now));
    this.rt.apply(e, row, now);
    this.nums = e.nums;
    return this;
  }

  pushAll(rows: readonly Row[], now = 0): this {
    for (const r of rows) this.push(r, now);
    return this;
  }

  read(now = 0, windowEnd?: number): Value {
    const e = this.rt.cursor(this.nums ?? this.rt.newNums(now));
    this.rt.beginRead();
    return this.rt.read(e, 0, now, windowEnd);
  }

  effectiveTime(now: number, windowEnd?: number): number | undefined {
    return this.rt.effectiveTime(0, now, windowEnd);
  }

  /** The live bucket indices of the feature's window, oldest first ([] for lifetime or no events). */
  buckets(): number[] {
    return this.nums === undefined ? [] : this.rt.bucketIndices(this.rt.cursor(this.nums), 0);
  }
}

export const T0 = 1_700_000_000_000;
