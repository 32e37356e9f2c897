import type { AggregationSpec } from "../aggregate/catalogue.ts";
import type { ValueType } from "../types.ts";

/** What a read reports about each feature (serving encodes values and metadata from it). */
export interface FeatureInfo {
  readonly name: string;
  readonly outputType: ValueType;
  readonly windowKind: "lifetime" | "continuous" | "tiled";
  /** Tecton's coerceNullCountsToZero applies. */
  readonly isCount: boolean;
}

export function featureInfo(spec: AggregationSpec): FeatureInfo {
  return { name: spec.feature, outputType: spec.outputType, windowKind: spec.window.kind, isCount: spec.isCount };
}
