import type { ReadPlan } from "./read-plan.ts";
import type { MetadataOptions } from "./request-params.ts";
import type { RowResult } from "./request-reader.ts";
import type { SloTimes } from "./slo.ts";

/**
 * What a GetFeatures or GetFeaturesBatch read produced, before it is written for a wire: Tecton's
 * JSON for the REST routes (response-json.ts), protobuf messages for Connect (response-message.ts).
 */

export interface FeaturesReply {
  readonly plan: ReadPlan;
  readonly metadata: MetadataOptions;
  readonly row: RowResult;
  /** Per output, epoch ms; only when metadata.effectiveTimes. */
  readonly effectiveTimes: readonly (number | undefined)[] | undefined;
  readonly slo: SloTimes;
}

export interface BatchReply {
  readonly plan: ReadPlan;
  readonly metadata: MetadataOptions;
  readonly rows: readonly RowResult[];
  /** One per output for every row (all rows are read at the same time); only when metadata.effectiveTimes. */
  readonly effectiveTimes: readonly (number | undefined)[] | undefined;
  /** The whole batch's server time. */
  readonly serverMs: number;
}
