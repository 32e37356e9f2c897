import type { Engine } from "../engine/index.ts";
import { PlanCache } from "../serving/plan-cache.ts";
import { parseGetFeatures, parseGetFeaturesBatch, parseMetadata, type Locator } from "../serving/request-params.ts";
import { RequestReader } from "../serving/request-reader.ts";
import { getFeaturesBatchJson, getFeaturesJson } from "../serving/response-json.ts";
import { timedOut } from "../serving/serving-errors.ts";
import type { Clock } from "./clock.ts";

/**
 * Tecton-compatible feature serving (DESIGN §5): GetFeatures, GetFeaturesBatch and Metadata, called by
 * the Tecton REST routes and the Connect FeatureService alike. Bodies arrive as parsed JSON (`{"params":
 * {...}}`, or the protobuf JSON of the Connect request, which is the same); replies are Tecton's JSON,
 * as text, written by the serving encoders. Errors are TesseraErrors carrying Tecton's messages.
 *
 * `path` carries the workspace and service of the v2 routes. `startedAt` (performance.now() time) is
 * when the request arrived: latency budgets, the 2 s server timeout and sloInfo count from there.
 */

/** Tecton's server timeout when the request sets no latency budget. */
export const SERVER_TIMEOUT_MS = 2000;

export interface FeatureServingOptions {
  readonly engine: Engine;
  /** The engine clock: reads happen at its `now`. */
  readonly clock: Clock;
}

export class FeatureServing {
  private readonly engine: Engine;
  private readonly clock: Clock;
  private readonly plans: PlanCache;

  constructor(options: FeatureServingOptions) {
    this.engine = options.engine;
    this.clock = options.clock;
    this.plans = new PlanCache(options.engine);
  }

  getFeatures(body: unknown, path?: Locator, startedAt: number = performance.now()): string {
    const p = parseGetFeatures(body, path);
    const plan = this.plans.plan(p.locator);
    const reader = new RequestReader(this.engine, plan, p.locator.workspace, p.options, this.clock.now(), startedAt);
    const row = reader.readRow(p.row);
    const effectiveTimes = p.metadata.effectiveTimes ? reader.effectiveTimes() : undefined;
    const serverMs = this.elapsed(startedAt, p.options.latencyBudgetMs);
    return getFeaturesJson(plan, p.metadata, row, effectiveTimes, { serverMs, sloServerMs: serverMs - row.realtimeMs, storeMaxMs: row.storeMaxMs });
  }

  /** Up to 10 rows read at one processing time; an invalid row fails the whole batch. */
  getFeaturesBatch(body: unknown, path?: Locator, startedAt: number = performance.now()): string {
    const p = parseGetFeaturesBatch(body, path);
    const plan = this.plans.plan(p.locator);
    const reader = new RequestReader(this.engine, plan, p.locator.workspace, p.options, this.clock.now(), startedAt);
    const rows = p.rows.map((r) => reader.readRow(r));
    const effectiveTimes = p.metadata.effectiveTimes ? reader.effectiveTimes() : undefined;
    return getFeaturesBatchJson(plan, p.metadata, rows, effectiveTimes, this.elapsed(startedAt, p.options.latencyBudgetMs));
  }

  metadata(body: unknown, path?: Locator): string {
    return this.plans.plan(parseMetadata(body, path)).metadataJson;
  }

  /** Time since arrival; without a latency budget, past Tecton's 2 s the request fails with 504 "Timed out". */
  private elapsed(startedAt: number, budget: number | undefined): number {
    const ms = performance.now() - startedAt;
    if (budget === undefined && ms > SERVER_TIMEOUT_MS) throw timedOut();
    return ms;
  }
}
