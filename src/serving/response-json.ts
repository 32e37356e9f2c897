import type { ReadPlan } from "./read-plan.ts";
import type { MetadataOptions } from "./request-params.ts";
import type { FeatureStatus, RowResult } from "./request-reader.ts";

/**
 * Writes Tecton's GetFeatures and GetFeaturesBatch replies as JSON text (tecton-behaviour.md §2.3,
 * §3) from a plan's pre-rendered pieces. Metadata carries only what was asked for: each
 * metadataOptions flag adds one member to each feature's entry (in protobuf field order: name,
 * effectiveTime, dataType, status, description, tags) and `includeSloInfo` adds sloInfo; with no
 * flag set there is no `metadata` at all.
 */

/** Tecton's SloInfo; times in seconds, measured. Tessera has no online store size limit, so every request is SLO-eligible. */
export interface SloTimes {
  readonly serverMs: number;
  /** Server time minus realtime evaluation. */
  readonly sloServerMs: number;
  readonly storeMaxMs: number;
}

function seconds(ms: number): string {
  return JSON.stringify(Math.round(ms * 1e6) / 1e9);
}

function sloJson(t: SloTimes): string {
  return `{"sloEligible":true,"sloServerTimeSeconds":${seconds(t.sloServerMs)},"serverTimeSeconds":${seconds(t.serverMs)},"storeMaxLatency":${seconds(t.storeMaxMs)}}`;
}

function wantsFeatureMetadata(m: MetadataOptions): boolean {
  return m.names || m.effectiveTimes || m.dataTypes || m.servingStatus || m.descriptions || m.tags;
}

/** One entry of metadata.features; `status` is already JSON (a string, or an array in batch replies). */
function featureEntry(plan: ReadPlan, i: number, m: MetadataOptions, effectiveTime: string | undefined, statusJson: string): string {
  const o = plan.outputs[i]!;
  let out = "";
  const add = (member: string): void => {
    out += out === "" ? member : `,${member}`;
  };
  if (m.names) add(o.nameJson);
  if (m.effectiveTimes && effectiveTime !== undefined) add(`"effectiveTime":"${effectiveTime}"`);
  if (m.dataTypes) add(o.dataTypeJson);
  if (m.servingStatus) add(`"status":${statusJson}`);
  if (m.descriptions && o.descriptionJson !== undefined) add(o.descriptionJson);
  if (m.tags && o.tagsJson !== undefined) add(o.tagsJson);
  return `{${out}}`;
}

export function getFeaturesJson(
  plan: ReadPlan,
  m: MetadataOptions,
  row: RowResult,
  effectiveTimes: readonly (string | undefined)[] | undefined,
  slo: SloTimes,
): string {
  const result = `{"result":{"features":[${row.values.join(",")}]}`;
  const members: string[] = [];
  if (wantsFeatureMetadata(m)) {
    const entries = plan.outputs.map((_o, i) => featureEntry(plan, i, m, effectiveTimes?.[i], `"${row.statuses[i]!}"`));
    members.push(`"features":[${entries.join(",")}]`);
  }
  if (m.sloInfo) members.push(`"sloInfo":${sloJson(slo)}`);
  // A latency budget that cut features makes the response partial, whatever was asked for.
  if (row.timedOut) members.push(`"partialResults":true`);
  return members.length === 0 ? `${result}}` : `${result},"metadata":{${members.join(",")}}}`;
}

/** Batch SLO (fixtures of tecton-behaviour.md §3): the slowest row's SLO time, the whole batch's server time. */
export function getFeaturesBatchJson(
  plan: ReadPlan,
  m: MetadataOptions,
  rows: readonly RowResult[],
  effectiveTimes: readonly (string | undefined)[] | undefined,
  batchServerMs: number,
): string {
  const result = `{"result":[${rows.map((r) => `{"features":[${r.values.join(",")}]}`).join(",")}]`;
  const members: string[] = [];
  if (wantsFeatureMetadata(m)) {
    const entries = plan.outputs.map((_o, i) => {
      const statuses = rows.map((r) => `"${r.statuses[i] as FeatureStatus}"`).join(",");
      return featureEntry(plan, i, m, effectiveTimes?.[i], `[${statuses}]`);
    });
    members.push(`"features":[${entries.join(",")}]`);
  }
  if (m.sloInfo) {
    const perRow = rows.map(rowSlo);
    members.push(`"sloInfo":[${perRow.map(sloJson).join(",")}]`);
    const sloServerMs = Math.max(...perRow.map((s) => s.sloServerMs));
    const storeMaxMs = Math.max(...perRow.map((s) => s.storeMaxMs));
    members.push(
      `"batchSloInfo":{"sloEligible":true,"sloServerTimeSeconds":${seconds(sloServerMs)},"serverTimeSeconds":${seconds(batchServerMs)},"storeMaxLatency":${seconds(storeMaxMs)}}`,
    );
  }
  return members.length === 0 ? `${result}}` : `${result},"metadata":{${members.join(",")}}}`;
}

export function rowSlo(r: RowResult): SloTimes {
  return { serverMs: r.serverMs, sloServerMs: r.serverMs - r.realtimeMs, storeMaxMs: r.storeMaxMs };
}
