import { encodeSegment } from "../engine/index.ts";
import type { Engine, ReadOptions, Row, Value } from "../engine/index.ts";
import type { ReadPlan, TableStep } from "./read-plan.ts";
import type { RequestOptions, RowInput } from "./request-params.ts";
import { missingJoinKey, missingRequestContextKeys, unknownJoinKey } from "./serving-errors.ts";
import type { WireValue } from "./value-encoder.ts";

/** Tecton's serving statuses (tecton-behaviour.md §2.5); Tessera has no serving cache, so no CACHED_*. */
export type FeatureStatus = "PRESENT" | "MISSING_DATA" | "UNKNOWN" | "TIME_OUT";

export interface RowResult {
  /** Per output: the value as Tecton sends it (null when missing, timed out or UNKNOWN). */
  readonly values: readonly WireValue[];
  readonly statuses: readonly FeatureStatus[];
  /** Whether the latency budget cut any feature. */
  readonly timedOut: boolean;
  /** Times in milliseconds: this row, its slowest table read, its realtime evaluation (0 unless timed). */
  readonly serverMs: number;
  readonly storeMaxMs: number;
  readonly realtimeMs: number;
}

/**
 * Executes a read plan for one request: every row of it is read at the same processing time
 * `now`. Per row: join keys and request context are checked and parsed, each table is read once,
 * realtime views are evaluated over the request fields and the table values (nulls flow as nulls),
 * and every output is encoded with its status.
 *
 * Value rules where Tecton leaves room (written down in the serving docs):
 * - A count over no data is null (MISSING_DATA), including an entity with no event in the window;
 *   with coerceNullCountsToZero it is 0 but keeps the MISSING_DATA status. Realtime views see the
 *   same values as the response.
 * - A latency budget is measured from when the request arrived (`startedAt`); a table whose read would
 *   start after it is not read: its features are null with TIME_OUT, and so are the realtime views that
 *   read it, or all views once the budget is gone (a view is never partially returned).
 */
export class RequestReader {
  private readonly engine: Engine;
  private readonly plan: ReadPlan;
  private readonly workspace: string;
  private readonly now: number;
  private readonly coerce: boolean;
  private readonly deadline: number;
  private readonly latestEvent: boolean;
  /** Whether rows are timed (sloInfo was asked for): clock reads per table are not free. */
  private readonly timed: boolean;
  /** Per table step, LATEST_EVENT_TIME only: windows end at the table's latest event. */
  private readonly readOptions: readonly ReadOptions[] | undefined;

  constructor(engine: Engine, plan: ReadPlan, workspace: string, options: RequestOptions, now: number, startedAt: number, timed: boolean) {
    this.engine = engine;
    this.plan = plan;
    this.workspace = workspace;
    this.now = now;
    this.coerce = options.coerceNullCountsToZero;
    this.deadline = options.latencyBudgetMs === undefined ? Infinity : startedAt + options.latencyBudgetMs;
    this.latestEvent = options.leadingEdge === "latest_event";
    this.timed = timed;
    this.readOptions = this.latestEvent
      ? this.watermarks().map((w) => (Number.isFinite(w) ? { windowEnd: w } : WALL_CLOCK))
      : undefined;
  }

  readRow(input: RowInput): RowResult {
    const timed = this.timed;
    const rowStart = timed ? performance.now() : 0;
    const plan = this.plan;
    const keys = this.joinKeys(input.joinKeyMap);
    const row = this.requestContext(input.requestContextMap);

    const n = plan.tables.length;
    // undefined: not read because the latency budget was gone.
    const tableValues: (readonly Value[] | undefined)[] = new Array(n);
    let storeMaxMs = 0;
    let timedOut = false;
    for (let s = 0; s < n; s++) {
      if (this.overBudget()) {
        timedOut = true;
        continue;
      }
      const step = plan.tables[s]!;
      const key = wireKey(step, keys);
      if (key === null) {
        tableValues[s] = this.coerce ? step.absentCoerced : step.absent;
        continue;
      }
      const t0 = timed ? performance.now() : 0;
      const r = this.engine.read(this.workspace, step.table, key, step.readAll ? undefined : step.features, this.now, this.readOptions?.[s] ?? WALL_CLOCK);
      if (timed) storeMaxMs = Math.max(storeMaxMs, performance.now() - t0);
      tableValues[s] = r === null ? (this.coerce ? step.absentCoerced : step.absent) : this.normaliseCounts(step, r.values);
    }

    const rtStart = timed ? performance.now() : 0;
    const realtimeValues: (Value[] | undefined)[] = new Array(plan.realtime.length);
    for (let v = 0; v < plan.realtime.length; v++) {
      const view = plan.realtime[v]!;
      if (this.overBudget() || !allRead(view.steps, tableValues)) {
        timedOut = true;
        continue;
      }
      for (const i of view.inputs) row[i.field] = tableValues[i.step]![i.index]!;
      realtimeValues[v] = view.features.map((f) => f.evaluate(row));
    }
    const realtimeMs = timed && plan.realtime.length > 0 ? performance.now() - rtStart : 0;

    const outputs = plan.outputs;
    const values: WireValue[] = new Array(outputs.length);
    const statuses: FeatureStatus[] = new Array(outputs.length);
    for (let i = 0; i < outputs.length; i++) {
      const o = outputs[i]!;
      const vs = o.source === "table" ? tableValues[o.step] : realtimeValues[o.step];
      if (vs === undefined) {
        values[i] = null;
        statuses[i] = "TIME_OUT";
        continue;
      }
      const v = vs[o.index]!;
      const wire = o.encode(v);
      if (wire === undefined) {
        values[i] = null;
        statuses[i] = "UNKNOWN";
        continue;
      }
      values[i] = wire;
      // Realtime outputs are computed, never missing (Tecton reports them PRESENT even when null).
      statuses[i] = o.source === "realtime" || !isMissing(v, plan.tables[o.step]!.isCount[o.index]!) ? "PRESENT" : "MISSING_DATA";
    }
    return { values, statuses, timedOut, serverMs: timed ? performance.now() - rowStart : 0, storeMaxMs, realtimeMs };
  }

  /**
   * Per output, the time (epoch ms) its value is as of (Tecton's effectiveTime): for a tiled window
   * the end of the last complete tile; for other windows the table's latest event (the most recent
   * value written); none for realtime views, or for a table without events when there is nothing to
   * anchor the time to.
   */
  effectiveTimes(): (number | undefined)[] {
    const watermarks = this.watermarks();
    return this.plan.outputs.map((o) => {
      if (o.source === "realtime") return undefined;
      const watermark = watermarks[o.step]!;
      const w = this.plan.tables[o.step]!.windows[o.index]!;
      if (w.kind !== "tiled") return Number.isFinite(watermark) ? watermark : undefined;
      const end = this.latestEvent ? watermark : this.now;
      return Number.isFinite(end) ? Math.floor(end / w.intervalMs) * w.intervalMs : undefined;
    });
  }

  /** Per table step: the table's latest event time, -Infinity before any. */
  private watermarks(): number[] {
    return this.plan.tables.map((s) => this.engine.watermark(this.workspace, s.table));
  }

  private overBudget(): boolean {
    return this.deadline !== Infinity && performance.now() > this.deadline;
  }

  /** Canonical key segment per join key, null for a null value; Tecton's errors in its order: unknown, then missing. */
  private joinKeys(map: Readonly<Record<string, unknown>>): (string | null)[] {
    const slots = this.plan.joinKeys;
    const keys: (string | null | undefined)[] = new Array(slots.length);
    for (const name in map) {
      const i = this.plan.joinKeyIndex.get(name);
      if (i === undefined) throw unknownJoinKey(name, slots.map((k) => k.name));
      keys[i] = slots[i]!.parse(name, map[name]);
    }
    for (let i = 0; i < slots.length; i++) if (keys[i] === undefined) throw missingJoinKey(slots[i]!.name);
    return keys as (string | null)[];
  }

  /**
   * The request fields of the service's realtime views, as the row the expressions read. Keys the
   * service does not use are ignored (Tecton's batch sample sends one to a service without views).
   */
  private requestContext(map: Readonly<Record<string, unknown>>): Row {
    const row: Row = {};
    let missing: string[] | undefined;
    for (const f of this.plan.requestFields) {
      if (!Object.hasOwn(map, f.name)) (missing ??= []).push(f.name);
      else row[f.name] = f.parse(f.name, map[f.name]);
    }
    if (missing !== undefined) throw missingRequestContextKeys(missing);
    return row;
  }

  private normaliseCounts(step: TableStep, values: Value[]): Value[] {
    for (let i = 0; i < values.length; i++) {
      if (step.isCount[i] && (values[i] === null || values[i] === 0)) values[i] = this.coerce ? 0 : null;
    }
    return values;
  }
}

const WALL_CLOCK: ReadOptions = Object.freeze({});

function allRead(steps: readonly number[], tableValues: readonly (readonly Value[] | undefined)[]): boolean {
  for (let i = 0; i < steps.length; i++) if (tableValues[steps[i]!] === undefined) return false;
  return true;
}

function isMissing(v: Value, isCount: boolean): boolean {
  return v === null || (isCount && v === 0);
}

/** The table's wire key from the parsed join keys; null when one of its keys is null. */
function wireKey(step: TableStep, keys: readonly (string | null)[]): string | null {
  const slots = step.keySlots;
  let key = "";
  for (let i = 0; i < slots.length; i++) {
    const k = keys[slots[i]!];
    if (k === null) return null;
    key = i === 0 ? encodeSegment(k) : `${key}|${encodeSegment(k)}`;
  }
  return key;
}
