import type { AggregationSpec } from "../aggregate/catalogue.ts";
import type { CompiledTable } from "../registry/index.ts";
import type { Row, Value } from "../types.ts";
import { featureInfo } from "./feature-runtime.ts";
import type { FeatureInfo } from "./feature-runtime.ts";
import { compileKeyExtractor } from "./keys.ts";
import { LAST_SEEN } from "./layout.ts";
import type { Inheritance } from "./layout.ts";
import { migrateEntity } from "./migrate.ts";
import { TableRuntime } from "./table-runtime.ts";

/** A read's result for one entity. */
export interface TableRead {
  readonly values: Value[];
  /** Per feature: the tile boundary the value is as of (tiled windows), else undefined. */
  readonly effectiveTimes: (number | undefined)[];
}

/**
 * The state of one table: entity key → the entity's numbers (entity.ts), plus the runtime that
 * applies events and reads features over the table's layout. Cold entities (idle longer than the root event's
 * cold_after_ms) are treated as absent by reads, recreated fresh by the next push, and removed by
 * `sweep`.
 */
export class TableState {
  readonly name: string;
  readonly entities = new Map<string, number[]>();
  /** Latest processing time of an event routed here (the stream's high watermark). */
  watermark = -Infinity;
  /** Entities evicted as cold (reset on push or removed by sweep), cumulative. */
  coldEvictions = 0;

  private table: CompiledTable<AggregationSpec>;
  private runtime: TableRuntime;
  private infos: FeatureInfo[];
  /** [0, 1, …, features − 1]: the index list of a read of every feature. */
  private allIndices: number[];
  private featureIndex: Map<string, number>;
  private keyOf: (row: Row) => string | undefined;

  constructor(table: CompiledTable<AggregationSpec>, inherit?: Inheritance) {
    this.name = table.name;
    this.table = table;
    this.runtime = new TableRuntime(table.aggregations, inherit);
    this.infos = table.aggregations.map(featureInfo);
    this.allIndices = this.infos.map((_f, i) => i);
    this.featureIndex = new Map(this.infos.map((f, i) => [f.name, i]));
    this.keyOf = compileKeyExtractor(table.keyColumns.map((k) => k.name));
  }

  get compiled(): CompiledTable<AggregationSpec> {
    return this.table;
  }

  get arity(): number {
    return this.table.keyColumns.length;
  }

  /** Every feature, declared order (a shared array: callers must not modify it). */
  get featureInfos(): FeatureInfo[] {
    return this.infos;
  }

  /** The indices of every feature, declared order (shared; do not modify). */
  get everyFeature(): readonly number[] {
    return this.allIndices;
  }

  indexOf(feature: string): number | undefined {
    return this.featureIndex.get(feature);
  }

  info(i: number): FeatureInfo {
    return this.infos[i]!;
  }

  get featureCount(): number {
    return this.infos.length;
  }

  private isCold(nums: readonly number[], now: number): boolean {
    const ttl = this.table.coldAfterMs;
    return ttl !== undefined && now - nums[LAST_SEEN]! > ttl;
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
    const rt = this.runtime;
    let nums = this.entities.get(key);
    if (nums === undefined) {
      nums = rt.newNums(now);
      this.entities.set(key, nums);
    } else if (this.isCold(nums, now)) {
      this.coldEvictions++;
      rt.release(nums);
      nums = rt.newNums(now);
      this.entities.set(key, nums);
    }
    const e = rt.cursor(nums);
    rt.apply(e, row, now);
    // A ring that grew replaced the array.
    if (e.nums !== nums) this.entities.set(key, e.nums);
  }

  /** The features `idx` of entity `key` at time `now`, or null when absent or cold. */
  read(key: string, idx: readonly number[], now: number, windowEnd: number | undefined): TableRead | null {
    const nums = this.entities.get(key);
    if (nums === undefined || this.isCold(nums, now)) return null;
    const rt = this.runtime;
    const e = rt.cursor(nums);
    rt.beginRead();
    const values: Value[] = new Array(idx.length);
    const effectiveTimes: (number | undefined)[] = new Array(idx.length);
    for (let j = 0; j < idx.length; j++) {
      values[j] = rt.read(e, idx[j]!, now, windowEnd);
      effectiveTimes[j] = rt.effectiveTime(idx[j]!, now, windowEnd);
    }
    return { values, effectiveTimes };
  }

  /** Removes entities idle longer than cold_after_ms; returns how many. */
  sweep(now: number): number {
    if (this.table.coldAfterMs === undefined) return 0;
    let n = 0;
    for (const [k, nums] of this.entities) {
      if (this.isCold(nums, now)) {
        this.runtime.release(nums);
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
    const oldLayout = this.runtime.layout;
    const oldIndex = this.featureIndex;
    const map = table.aggregations.map((a) => {
      const i = oldIndex.get(a.feature);
      return i !== undefined && oldLayout.features[i]!.spec.key === a.key ? i : -1;
    });
    const accOf = new Map<number, { id: string; kind: number }>();
    map.forEach((i, j) => {
      if (i < 0) return;
      const f = oldLayout.features[i]!;
      if (f.accOffset < 0) return;
      const acc = oldLayout.groups[f.group]!.accs.find((a) => a.offset === f.accOffset)!;
      accOf.set(j, { id: acc.id, kind: acc.kind });
    });
    const next = new TableState(table, { generation: oldLayout.generation + 1, accOf });
    const sameKeys = table.keyColumns.map((k) => k.name).join("\u0000") === this.table.keyColumns.map((k) => k.name).join("\u0000");
    const identity = map.length === oldLayout.features.length && map.every((i, j) => i === j);
    if (!sameKeys) {
      // Entity keys mean something else now (the planner normally drops such a table outright).
      this.entities.clear();
    } else if (!identity) {
      const to = next.runtime.layout;
      for (const [k, nums] of this.entities) this.entities.set(k, migrateEntity(oldLayout, to, map, this.runtime.cursor(nums), next.runtime.pool));
    } else {
      // Same layout: the entities and their object states stay as they are.
      next.runtime.pool = this.runtime.pool;
    }
    this.table = table;
    this.runtime = next.runtime;
    this.infos = next.infos;
    this.allIndices = next.allIndices;
    this.featureIndex = next.featureIndex;
    this.keyOf = next.keyOf;
  }
}
