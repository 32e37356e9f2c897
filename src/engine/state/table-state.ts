import type { AggregationSpec } from "../aggregate/catalogue.ts";
import type { CompiledTable } from "../registry/index.ts";
import type { Row, Value } from "../types.ts";
import { FeatureRuntime } from "./feature-runtime.ts";
import type { FeatureInfo } from "./feature-runtime.ts";
import { compileKeyExtractor } from "./keys.ts";

/**
 * One entity's row: every feature's state (by feature index) and the time of its last event.
 * Kept deliberately small: a record, one holey array and whatever the features allocated.
 */
export interface EntityRecord {
  lastSeen: number;
  states: unknown[];
}

/** A read's result for one entity. */
export interface TableRead {
  readonly values: Value[];
  /** Per feature: the tile boundary the value is as of (tiled windows), else undefined. */
  readonly effectiveTimes: (number | undefined)[];
}

/**
 * The state of one table: entity key → EntityRecord, plus the compiled plan that applies events and
 * reads features. Cold entities (idle longer than the root event's cold_after_ms) are treated as
 * absent by reads, recreated fresh by the next push, and removed by `sweep`.
 */
export class TableState {
  readonly name: string;
  readonly entities = new Map<string, EntityRecord>();
  /** Latest processing time of an event routed here (the stream's high watermark). */
  watermark = -Infinity;
  /** Entities evicted as cold (reset on push or removed by sweep), cumulative. */
  coldEvictions = 0;

  private table: CompiledTable<AggregationSpec>;
  private features: FeatureRuntime[];
  private featureIndex: Map<string, number>;
  private keyOf: (row: Row) => string | undefined;

  constructor(table: CompiledTable<AggregationSpec>) {
    this.name = table.name;
    this.table = table;
    this.features = table.aggregations.map((a) => new FeatureRuntime(a));
    this.featureIndex = new Map(this.features.map((f, i) => [f.info.name, i]));
    this.keyOf = compileKeyExtractor(table.keyColumns.map((k) => k.name));
  }

  get compiled(): CompiledTable<AggregationSpec> {
    return this.table;
  }

  get arity(): number {
    return this.table.keyColumns.length;
  }

  /** Every feature, declared order. */
  get featureInfos(): FeatureInfo[] {
    return this.features.map((f) => f.info);
  }

  indexOf(feature: string): number | undefined {
    return this.featureIndex.get(feature);
  }

  info(i: number): FeatureInfo {
    return this.features[i]!.info;
  }

  get featureCount(): number {
    return this.features.length;
  }

  private isCold(e: EntityRecord, now: number): boolean {
    const ttl = this.table.coldAfterMs;
    return ttl !== undefined && now - e.lastSeen > ttl;
  }

  /**
   * Applies one pushed event (beava §2.2): prefix ops (a dropped row creates nothing), entity key
   * (an unusable key value skips the table), get or create the entity, update every feature. An
   * event that fails every `where` still creates the entity.
   */
  apply(raw: Row, now: number): void {
    if (now > this.watermark) this.watermark = now;
    const row = this.table.hasPrefix ? this.table.prefix(raw) : raw;
    if (row === null) return;
    const key = this.keyOf(row);
    if (key === undefined) return;
    let e = this.entities.get(key);
    if (e === undefined) {
      e = { lastSeen: now, states: new Array(this.features.length) };
      this.entities.set(key, e);
    } else if (this.isCold(e, now)) {
      this.coldEvictions++;
      e.states = new Array(this.features.length);
      e.lastSeen = now;
    } else {
      e.lastSeen = now;
    }
    const states = e.states;
    const fs = this.features;
    for (let i = 0; i < fs.length; i++) fs[i]!.apply(states, i, row, now);
  }

  /** The features `idx` of entity `key` at time `now`, or null when absent or cold. */
  read(key: string, idx: readonly number[], now: number, windowEnd: number | undefined): TableRead | null {
    const e = this.entities.get(key);
    if (e === undefined || this.isCold(e, now)) return null;
    const values: Value[] = new Array(idx.length);
    const effectiveTimes: (number | undefined)[] = new Array(idx.length);
    for (let j = 0; j < idx.length; j++) {
      const f = this.features[idx[j]!]!;
      values[j] = f.read(e.states[idx[j]!], now, windowEnd);
      effectiveTimes[j] = f.effectiveTime(now, windowEnd);
    }
    return { values, effectiveTimes };
  }

  /** Removes entities idle longer than cold_after_ms; returns how many. */
  sweep(now: number): number {
    if (this.table.coldAfterMs === undefined) return 0;
    let n = 0;
    for (const [k, e] of this.entities) {
      if (this.isCold(e, now)) {
        this.entities.delete(k);
        n++;
      }
    }
    this.coldEvictions += n;
    return n;
  }

  /**
   * Re-targets this state at a new compilation of the same table (a registration that kept it).
   * Features are matched by name; a feature whose spec changed (or is new) starts empty, and a
   * removed feature's state is dropped. Entity rows are rewritten only when the layout changed.
   */
  rebind(table: CompiledTable<AggregationSpec>): void {
    const old = this.features;
    const oldIndex = this.featureIndex;
    const next = new TableState(table);
    const map = next.features.map((f) => {
      const i = oldIndex.get(f.info.name);
      return i !== undefined && old[i]!.spec.key === f.spec.key ? i : -1;
    });
    const sameKeys = table.keyColumns.map((k) => k.name).join("\u0000") === this.table.keyColumns.map((k) => k.name).join("\u0000");
    const identity = map.length === old.length && map.every((i, j) => i === j);
    if (!sameKeys) {
      // Entity keys mean something else now (the planner normally drops such a table outright).
      this.entities.clear();
    } else if (!identity) {
      for (const e of this.entities.values()) {
        const states: unknown[] = new Array(map.length);
        for (let j = 0; j < map.length; j++) if (map[j]! >= 0) states[j] = e.states[map[j]!];
        e.states = states;
      }
    }
    this.table = table;
    this.features = next.features;
    this.featureIndex = next.featureIndex;
    this.keyOf = next.keyOf;
  }
}
