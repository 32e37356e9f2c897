import type { Caller } from "../auth/caller.ts";
import type { Engine, Registry } from "../engine/index.ts";
import type {
  GetFeaturesBatchRequest,
  GetFeaturesBatchResponse,
  GetFeaturesRequest,
  GetFeaturesResponse,
  MetadataRequest,
  MetadataResponse,
} from "../../gen/tessera/featureservice/v1/feature_service_pb.ts";
import { PlanCache } from "../serving/plan-cache.ts";
import type { BatchReply, FeaturesReply } from "../serving/replies.ts";
import { getFeaturesBatchFromMessage, getFeaturesFromMessage, metadataFromMessage } from "../serving/request-message.ts";
import { parseGetFeatures, parseGetFeaturesBatch, parseMetadata, type BatchParams, type GetFeaturesParams, type Locator } from "../serving/request-params.ts";
import { RequestReader } from "../serving/request-reader.ts";
import { getFeaturesBatchJson, getFeaturesJson } from "../serving/response-json.ts";
import { getFeaturesBatchMessage, getFeaturesMessage, metadataMessage } from "../serving/response-message.ts";
import { timedOut } from "../serving/serving-errors.ts";
import { ALLOW_ALL, type AccessControl } from "./authorization.ts";
import type { Clock } from "./clock.ts";

/**
 * Tecton-compatible feature serving (DESIGN §5): GetFeatures, GetFeaturesBatch and Metadata, for the
 * Tecton REST routes and the Connect FeatureService. REST bodies arrive as parsed JSON (`{"params":
 * {...}}`) and replies leave as Tecton's JSON text; Connect requests arrive as their messages and
 * replies leave as messages, built directly (no JSON round trip). Both wires read the same params
 * with the same checks, run the same read, and write the same wire values. Errors are TesseraErrors
 * carrying Tecton's messages.
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
  /** Authorization (DESIGN §6); absent: everything is allowed (--auth off, unit tests). */
  readonly access?: AccessControl;
}

export class FeatureServing {
  private readonly engine: Engine;
  private readonly clock: Clock;
  private readonly plans: PlanCache;
  private readonly access: AccessControl;

  constructor(options: FeatureServingOptions) {
    this.engine = options.engine;
    this.clock = options.clock;
    this.access = options.access ?? ALLOW_ALL;
    this.plans = new PlanCache(options.engine);
  }

  /**
   * Compiles the read plans of a registration's registry before it is logged (DataPlaneOptions
   * onRegistryPlanned): a feature service that cannot be served fails its registration with
   * invalid_registration, and no request pays for compiling.
   */
  prepareRegistry(registry: Registry): void {
    this.plans.prepare(registry);
  }

  getFeatures(body: unknown, path?: Locator, startedAt: number = performance.now(), caller?: Caller): string {
    return getFeaturesJson(this.read(parseGetFeatures(body, path), startedAt, caller));
  }

  getFeaturesMessage(request: GetFeaturesRequest, startedAt: number = performance.now(), caller?: Caller): GetFeaturesResponse {
    return getFeaturesMessage(this.read(getFeaturesFromMessage(request.params), startedAt, caller));
  }

  /** Up to 10 rows read at one processing time; an invalid row fails the whole batch. */
  getFeaturesBatch(body: unknown, path?: Locator, startedAt: number = performance.now(), caller?: Caller): string {
    return getFeaturesBatchJson(this.readBatch(parseGetFeaturesBatch(body, path), startedAt, caller));
  }

  getFeaturesBatchMessage(request: GetFeaturesBatchRequest, startedAt: number = performance.now(), caller?: Caller): GetFeaturesBatchResponse {
    return getFeaturesBatchMessage(this.readBatch(getFeaturesBatchFromMessage(request.params), startedAt, caller));
  }

  metadata(body: unknown, path?: Locator, caller?: Caller): string {
    return this.plans.plan(this.viewable(parseMetadata(body, path), caller)).metadataJson;
  }

  metadataMessage(request: MetadataRequest, caller?: Caller): MetadataResponse {
    return metadataMessage(this.plans.plan(this.viewable(metadataFromMessage(request.params), caller)));
  }

  /** Authorized after the params are read (they name the workspace), before any lookup. */
  private viewable(locator: Locator, caller: Caller | undefined): Locator {
    this.access.workspace(caller, "metadata", locator.workspace);
    return locator;
  }

  private read(p: GetFeaturesParams, startedAt: number, caller: Caller | undefined): FeaturesReply {
    this.access.workspace(caller, "get_features", p.locator.workspace);
    const plan = this.plans.plan(p.locator);
    const reader = new RequestReader(this.engine, plan, p.locator.workspace, p.options, this.clock.now(), startedAt, p.metadata.sloInfo);
    const row = reader.readRow(p.row);
    const effectiveTimes = p.metadata.effectiveTimes ? reader.effectiveTimes() : undefined;
    const serverMs = this.elapsed(startedAt, p.options.latencyBudgetMs);
    return { plan, metadata: p.metadata, row, effectiveTimes, slo: { serverMs, sloServerMs: serverMs - row.realtimeMs, storeMaxMs: row.storeMaxMs } };
  }

  private readBatch(p: BatchParams, startedAt: number, caller: Caller | undefined): BatchReply {
    this.access.workspace(caller, "get_features_batch", p.locator.workspace);
    const plan = this.plans.plan(p.locator);
    const reader = new RequestReader(this.engine, plan, p.locator.workspace, p.options, this.clock.now(), startedAt, p.metadata.sloInfo);
    const rows = p.rows.map((r) => reader.readRow(r));
    const effectiveTimes = p.metadata.effectiveTimes ? reader.effectiveTimes() : undefined;
    return { plan, metadata: p.metadata, rows, effectiveTimes, serverMs: this.elapsed(startedAt, p.options.latencyBudgetMs) };
  }

  /** Time since arrival; without a latency budget, past Tecton's 2 s the request fails with 504 "Timed out". */
  private elapsed(startedAt: number, budget: number | undefined): number {
    const ms = performance.now() - startedAt;
    if (budget === undefined && ms > SERVER_TIMEOUT_MS) throw timedOut();
    return ms;
  }
}
