import { compileAggregation } from "../../../src/engine/aggregate/catalogue.ts";
import type { AggregationSpec } from "../../../src/engine/aggregate/catalogue.ts";
import { FeatureRuntime } from "../../../src/engine/state/feature-runtime.ts";
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

/** One feature over a stream of (row, time) events, read at `readAt`. */
export class Feature {
  readonly rt: FeatureRuntime;
  readonly states: unknown[] = [undefined];

  constructor(op: string, params: Record<string, unknown> = {}, schema: Schema = SCHEMA) {
    this.rt = new FeatureRuntime(compile(op, params, schema));
  }

  push(row: Row, now = 0): this {
    this.rt.apply(this.states, 0, row, now);
    return this;
  }

  pushAll(rows: readonly Row[], now = 0): this {
    for (const r of rows) this.push(r, now);
    return this;
  }

  read(now = 0, windowEnd?: number): Value {
    return this.rt.read(this.states[0], now, windowEnd);
  }
}

export const T0 = 1_700_000_000_000;
