import type { AggregationSpec } from "../aggregate/catalogue.ts";
import type { CompiledTable } from "../registry/index.ts";
import type { Row, Value } from "../types.ts";
import { featureInfo } from "./feature-runtime.ts";
import type { FeatureInfo } from "./feature-runtime.ts";
import { compileKeyExtractor } from "./keys.ts";
import { featureAccs, LAST_SEEN, OBJ_SLOT } from "./layout.ts";
import type { Inheritance, TableLayout } from "./layout.ts";
import { migrateEntity } from "./migrate.ts";
import { TableRuntime } from "./table-runtime.ts";

/** A read's result for one entity. */
export interface TableRead {
  readonly values: Value[];
  /** Per feature: the tile boundary the value is as of (tiled windows), else undefined. */
  readonly effectiveTimes: (number | undefined)[];
}

/** Where a snapshot writes an entity of this table (snapshot/engine-snapshot.ts). */
export interface EntitySink {
  entity(key: string, nums: readonly number[], objs: readonly unknown[] | null): void;
}

/**
 * A snapshot in progress (see `freeze`): the entities it has not written yet, the sink it writes
 * them to, and its one pass over them (a Map iterator skips what was deleted behind it, so taking
 * entities out never makes the pass revisit anything).
 */
interface Frozen {
  readonly rest: Map<string, number[]>;
  readonly sink: EntitySink;
  readonly pass: Iterator<[string, number[]]>;
}

/**
 * The state of one table: entity key → the entity's numbers (entity.ts), plus the runtime that
 * applies events and reads features over the table's layout. Cold entities (idle longer than the root event's
 * cold_after_ms) are treated as absent by reads, recreated fresh by the next push, and removed by
 * `sweep`.
 *
 * While a snapshot is in progress the entities are split in two maps: `frozen.rest`, those that
 * existed when it began and are not written yet, and `entities`, every other one. Whatever changes
 * or removes an entity of `rest` first writes it to the snapshot (copy-on-write) and moves it over;
 * the snapshot's own pass moves the rest. The hot path only pays for this on a miss in `entities`.
 */
export class TableState {
  readonly name: string;
  private entities = new Map<string, number[]>();
  private frozen: Frozen | null = null;
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

  get layout(): TableLayout {
    return this.runtime.layout;
  }

  /** Resident entities (cold ones not yet swept included). */
  get size(): number {
    return this.entities.size + (this.frozen === null ? 0 : this.frozen.rest.size);
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
    if (nums === undefined && (this.frozen === null || (nums = this.thaw(key)) === undefined)) {
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
    let nums = this.entities.get(key);
    if (nums === undefined && this.frozen !== null) nums = this.frozen.rest.get(key);
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
    const f = this.frozen;
    if (f !== null) {
      for (const [k, nums] of f.rest) {
        if (this.isCold(nums, now)) {
          this.writeOut(f, k, nums);
          this.runtime.release(nums);
          n++;
        }
      }
    }
    this.coldEvictions += n;
    return n;
  }

  // Snapshots (snapshot/engine-snapshot.ts).

  /** Writes frozen entity `key` to the snapshot and takes it out of `rest` (the caller moves or drops it). */
  private writeOut(f: Frozen, key: string, nums: number[]): void {
    f.sink.entity(key, nums, this.runtime.cursor(nums).objs);
    f.rest.delete(key);
  }

  /** Starts copy-on-write: every entity that exists now will be written to `sink` exactly once. */
  freeze(sink: EntitySink): void {
    const rest = this.entities;
    this.entities = new Map();
    this.frozen = { rest, sink, pass: rest.entries() };
  }

  /** Writes and unfreezes one more entity; false once none is left (copy-on-write is over). */
  writeNextFrozen(): boolean {
    const f = this.frozen;
    if (f === null) return false;
    const r = f.pass.next();
    if (r.done === true) {
      this.frozen = null;
      return false;
    }
    const [k, nums] = r.value;
    this.writeOut(f, k, nums);
    this.entities.set(k, nums);
    return true;
  }

  /** Ends copy-on-write without writing the rest (an aborted snapshot). */
  thawAll(): void {
    const f = this.frozen;
    if (f === null) return;
    this.frozen = null;
    // The two maps hold disjoint keys: fold the smaller into the larger.
    if (f.rest.size > this.entities.size) {
      for (const [k, nums] of this.entities) f.rest.set(k, nums);
      this.entities = f.rest;
    } else {
      for (const [k, nums] of f.rest) this.entities.set(k, nums);
    }
  }

  /** Takes `key` out of the frozen entities, writing it first: it is about to change. */
  private thaw(key: string): number[] | undefined {
    const f = this.frozen!;
    const nums = f.rest.get(key);
    if (nums === undefined) return undefined;
    this.writeOut(f, key, nums);
    this.entities.set(key, nums);
    return nums;
  }

  /**
   * Adds a restored entity (snapshot/restore.ts): `nums` as written, `objs` its object states. The
   * pool slot in `nums` is the original engine's; the entity gets one of this pool. False (and
   * nothing changes) when the key is already there.
   */
  adopt(key: string, nums: number[], objs: unknown[] | null): boolean {
    if (this.entities.has(key)) return false;
    nums[OBJ_SLOT] = NaN;
    if (objs !== null) this.runtime.pool.attach(nums, objs);
    this.entities.set(key, nums);
    return true;
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
    const oldAccs = featureAccs(oldLayout);
    const accOf = new Map<number, { id: string; kind: number }>();
    map.forEach((i, j) => {
      const acc = oldAccs.get(i);
      if (acc !== undefined) accOf.set(j, acc);
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
