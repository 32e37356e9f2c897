import type { ReadPlan } from "./read-plan.ts";
import type { BatchReply, FeaturesReply } from "./replies.ts";
import { wantsFeatureMetadata, type MetadataOptions } from "./request-params.ts";
import type { FeatureStatus } from "./request-reader.ts";
import { formatTimestamp } from "./rfc3339.ts";
import { batchSlo, rowSlo, seconds, type SloTimes } from "./slo.ts";

/**
 * Writes Tecton's GetFeatures and GetFeaturesBatch replies as JSON text (tecton-behaviour.md §2.3,
 * §3) from a plan's pre-rendered pieces: the values are one JSON.stringify of the row's wire values,
 * and metadata that depends on the plan alone is rendered once per plan. Metadata carries only what
 * was asked for: each metadataOptions flag adds one member to each feature's entry (in protobuf field
 * order: name, effectiveTime, dataType, status, description, tags) and `includeSloInfo` adds sloInfo;
 * with no flag set there is no `metadata` at all.
 */

function sloJson(t: SloTimes): string {
  return `{"sloEligible":true,"sloServerTimeSeconds":${seconds(t.sloServerMs)},"serverTimeSeconds":${seconds(t.serverMs)},"storeMaxLatency":${seconds(t.storeMaxMs)}}`;
}

/** One entry of metadata.features; `status` is already JSON (a string, or an array in batch replies). */
function featureEntry(plan: ReadPlan, i: number, m: MetadataOptions, effectiveTime: number | undefined, statusJson: string | undefined): string {
  const o = plan.outputs[i]!;
  let out = "";
  const add = (member: string): void => {
    out += out === "" ? member : `,${member}`;
  };
  if (m.names) add(o.nameJson);
  const time = m.effectiveTimes && effectiveTime !== undefined ? formatTimestamp(effectiveTime) : undefined;
  if (time !== undefined) add(`"effectiveTime":"${time}"`);
  if (m.dataTypes) add(o.dataTypeJson);
  if (statusJson !== undefined) add(`"status":${statusJson}`);
  if (m.descriptions && o.descriptionJson !== undefined) add(o.descriptionJson);
  if (m.tags && o.tagsJson !== undefined) add(o.tagsJson);
  return `{${out}}`;
}

/**
 * metadata.features when it only holds what the plan knows (names, data types, descriptions, tags:
 * what the official clients ask for by default), rendered once per plan and set of options.
 */
const staticFeatures = new WeakMap<ReadPlan, Map<number, string>>();

function staticFeaturesJson(plan: ReadPlan, m: MetadataOptions): string {
  const key = (m.names ? 1 : 0) | (m.dataTypes ? 2 : 0) | (m.descriptions ? 4 : 0) | (m.tags ? 8 : 0);
  let byOptions = staticFeatures.get(plan);
  if (byOptions === undefined) staticFeatures.set(plan, (byOptions = new Map()));
  let json = byOptions.get(key);
  if (json === undefined) {
    json = `"features":[${plan.outputs.map((_o, i) => featureEntry(plan, i, m, undefined, undefined)).join(",")}]`;
    byOptions.set(key, json);
  }
  return json;
}

/** metadata.features; `statusJson(i)` renders output i's status when servingStatus is asked for. */
function featuresJson(plan: ReadPlan, m: MetadataOptions, effectiveTimes: readonly (number | undefined)[] | undefined, statusJson: (i: number) => string): string {
  if (!m.effectiveTimes && !m.servingStatus) return staticFeaturesJson(plan, m);
  const entries = plan.outputs.map((_o, i) => featureEntry(plan, i, m, effectiveTimes?.[i], m.servingStatus ? statusJson(i) : undefined));
  return `"features":[${entries.join(",")}]`;
}

export function getFeaturesJson(reply: FeaturesReply): string {
  const { plan, metadata: m, row, effectiveTimes, slo } = reply;
  const result = `{"result":{"features":${JSON.stringify(row.values)}}`;
  const members: string[] = [];
  if (wantsFeatureMetadata(m)) members.push(featuresJson(plan, m, effectiveTimes, (i) => `"${row.statuses[i]!}"`));
  if (m.sloInfo) members.push(`"sloInfo":${sloJson(slo)}`);
  // A latency budget that cut features makes the response partial, whatever was asked for.
  if (row.timedOut) members.push(`"partialResults":true`);
  return members.length === 0 ? `${result}}` : `${result},"metadata":{${members.join(",")}}}`;
}

export function getFeaturesBatchJson(reply: BatchReply): string {
  const { plan, metadata: m, rows, effectiveTimes } = reply;
  const result = `{"result":[${rows.map((r) => `{"features":${JSON.stringify(r.values)}}`).join(",")}]`;
  const members: string[] = [];
  if (wantsFeatureMetadata(m)) members.push(featuresJson(plan, m, effectiveTimes, (i) => `[${rows.map((r) => `"${r.statuses[i] as FeatureStatus}"`).join(",")}]`));
  if (m.sloInfo) {
    const perRow = rows.map(rowSlo);
    const batch = batchSlo(perRow, reply.serverMs);
    members.push(`"sloInfo":[${perRow.map(sloJson).join(",")}]`);
    members.push(
      `"batchSloInfo":{"sloEligible":true,"sloServerTimeSeconds":${seconds(batch.sloServerMs)},"serverTimeSeconds":${seconds(batch.serverMs)},"storeMaxLatency":${seconds(batch.storeMaxMs)}}`,
    );
  }
  return members.length === 0 ? `${result}}` : `${result},"metadata":{${members.join(",")}}}`;
}
