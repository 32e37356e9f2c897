import type { AggregationSpec } from "../aggregate/catalogue.ts";
import type { Row, Value } from "../types.ts";
import { bucketRow, growRings, minLiveOf, needsRoom, nextCap, ringStart } from "./bucket-ring.ts";
import { Entity, newNums, ObjectPool } from "./entity.ts";
import { compileGroupUpdate, compileHotPath } from "./hot-path.ts";
import type { GroupUpdate, HotPath } from "./hot-path.ts";
import { insertInline, SPILLED } from "./inline-numbers.ts";
import type { GroupLayout, Inheritance, TableLayout } from "./layout.ts";
import { buildLayout, LAST_SEEN, LIFETIME_BASE, RING_CAP } from "./layout.ts";
import { WindowReader } from "./window-reader.ts";

/** How a TableRuntime applies events. */
export interface RuntimeOptions {
  /**
   * Applies the usual event through code compiled for the layout (hot-path.ts). Default true;
   * false sends every event through the general path, the reference the compiled code is tested
   * against.
   */
  readonly compiled?: boolean;
}

/**
 * Applies events to entities over a table's layout (layout.ts), and reads them through its
 * WindowReader. The per-event path allocates nothing once an entity's rings have grown to its rate:
 * inputs and `where`s are evaluated once into scratch arrays, then each window updates its hot row
 * in place (bucket-ring.ts when the bucket changes). The usual event (every touched window in its
 * newest bucket, or starting a newer one) runs code compiled for the layout (hot-path.ts); the
 * general path does the rest: buckets older than the newest (a clock that stepped back).
 */
export class TableRuntime {
  readonly layout: TableLayout;
  /** The object states of the table's entities (entity.ts); a rebind to the same layout keeps it. */
  pool = new ObjectPool();
  private readonly reader: WindowReader;
  /** The usual event, compiled for this layout (hot-path.ts), or null (options.compiled false). */
  private readonly hot: HotPath | null;
  /** The groups' accumulator updates on any row (hot-path.ts), for the general path. */
  private readonly update: GroupUpdate;
  /** The one cursor apply and read work through (the engine is single-threaded). */
  private readonly cur = new Entity([], null);
  /** Per event: each input's value (NaN = absent / not a number). */
  private readonly xs: Float64Array;
  /** Per event: each `where`'s outcome (1 = matched). */
  private readonly ms: Uint8Array;
  /** Per event: each window's bucket index (NaN: the event does not touch the window). */
  private readonly idxs: Float64Array;
  /** Per event: each window's lowest bucket index still readable (set when the bucket changes). */
  private readonly minLives: Float64Array;
  /** Per event: new ring capacities to allocate before applying (0: unchanged). */
  private readonly caps: Float64Array;

  constructor(specs: readonly AggregationSpec[], inherit?: Inheritance, options: RuntimeOptions = {}) {
    this.layout = buildLayout(specs, inherit);
    this.reader = new WindowReader(this.layout);
    this.hot = options.compiled === false ? null : compileHotPath(this.layout);
    this.update = compileGroupUpdate(this.layout);
    const groups = this.layout.groups.length;
    this.xs = new Float64Array(this.layout.inputs.length);
    this.ms = new Uint8Array(this.layout.wheres.length);
    this.idxs = new Float64Array(groups);
    this.minLives = new Float64Array(groups);
    this.caps = new Float64Array(groups);
  }

  /** A fresh entity's numbers, its last event at `now`. */
  newNums(now: number): number[] {
    return newNums(this.layout, now);
  }

  /** A cursor on the entity `nums` (valid until the next call). After apply, `nums` may have been replaced. */
  cursor(nums: number[]): Entity {
    const c = this.cur;
    c.nums = nums;
    c.objs = this.layout.objCount > 0 ? this.pool.of(nums) : null;
    return c;
  }

  /** Frees what the entity holds outside its numbers (it is being dropped). */
  release(nums: readonly number[]): void {
    if (this.layout.objCount > 0) this.pool.release(nums);
  }

  /** The entity's objs, created (and given a pool slot) on first use. */
  private objsOf(e: Entity): unknown[] {
    if (e.objs === null) {
      e.objs = new Array<unknown>(this.layout.objCount);
      this.pool.attach(e.nums, e.objs);
    }
    return e.objs;
  }

  /** Applies one event (already past the table's prefix ops) to `e`, at processing time `now`. */
  apply(e: Entity, row: Row, now: number): void {
    const L = this.layout;
    const xs = this.xs;
    const ms = this.ms;
    const inputs = L.inputs;
    for (let i = 0; i < inputs.length; i++) {
      const inp = inputs[i]!;
      const v = row[inp.field];
      xs[i] = typeof v === "number" ? (inp.trunc ? Math.trunc(v) : v) : NaN;
    }
    const wheres = L.wheres;
    for (let i = 0; i < wheres.length; i++) ms[i] = wheres[i]!(row) === true ? 1 : 0;

    if (this.hot !== null && this.hot(e, xs, ms, now)) {
      if (L.objCount > 0) this.hotObjs(e, row, now);
      return;
    }
    e.nums[LAST_SEEN] = now;
    const groups = L.groups;
    const life = groups[0]!;
    this.update(0, e.nums, LIFETIME_BASE, xs, ms);
    if (life.objs.length > 0) this.updateObjs(e, LIFETIME_BASE, life, row, now, -1);

    // Pass 1: each window's bucket for this event; rings that must grow for it grow in ONE
    // reallocation (a quiet entity's event often starts a new bucket in every window).
    const idxs = this.idxs;
    const minLives = this.minLives;
    const caps = this.caps;
    let grow = false;
    for (let gi = 1; gi < groups.length; gi++) {
      const g = groups[gi]!;
      if (!g.always && !anyMatched(g.wheres, ms)) {
        idxs[gi] = NaN;
        continue;
      }
      const idx = Math.floor(now / g.width);
      idxs[gi] = idx;
      const hot = e.nums[g.row]!;
      if (hot === idx) continue;
      const minLive = minLiveOf(g, now, idx);
      minLives[gi] = minLive;
      if (idx > hot && needsRoom(e.nums, g, minLive)) {
        caps[gi] = nextCap(g, e.nums[g.header + RING_CAP]!);
        grow = true;
      }
    }
    if (grow) {
      growRings(e, L, caps);
      caps.fill(0);
    }
    // Pass 2: update. Usually the event lands in the entity's newest bucket: no ring work at all.
    for (let gi = 1; gi < groups.length; gi++) {
      const idx = idxs[gi]!;
      if (idx !== idx) continue;
      const g = groups[gi]!;
      let r = g.row;
      if (e.nums[r] !== idx) {
        r = bucketRow(e, L, gi, idx, minLives[gi]!);
        if (r < 0) continue;
      }
      this.update(gi, e.nums, r, xs, ms);
      if (g.objBase >= 0) this.updateObjs(e, r, g, row, now, r === g.row ? -1 : (r - ringStart(e.nums, L, gi)) / g.rowWidth);
    }
  }

  /** After the hot path: the object features of the lifetime row and of each touched window's hot row. */
  private hotObjs(e: Entity, row: Row, now: number): void {
    const groups = this.layout.groups;
    if (groups[0]!.objs.length > 0) this.updateObjs(e, LIFETIME_BASE, groups[0]!, row, now, -1);
    for (let gi = 1; gi < groups.length; gi++) {
      const g = groups[gi]!;
      if (g.objBase >= 0 && (g.always || anyMatched(g.wheres, this.ms))) this.updateObjs(e, g.row, g, row, now, -1);
    }
  }

  /**
   * Updates the object features of group g in the row at `r`: ring position `p` of the ring, or the
   * lifetime / hot row when p = -1. Inline numbers are kept in the row until they overflow.
   */
  private updateObjs(e: Entity, r: number, g: GroupLayout, row: Row, now: number, p: number): void {
    const objs = g.objs;
    const ms = this.ms;
    for (let j = 0; j < objs.length; j++) {
      const o = objs[j]!;
      let matched = true;
      if (o.where >= 0) {
        matched = ms[o.where] === 1;
        if (!matched && !o.observesUnmatched) continue;
      }
      let s: unknown;
      const inl = o.inline;
      if (inl !== undefined) {
        const a = e.nums;
        const at = r + o.inlineOffset;
        if (a[at] !== SPILLED) {
          const x = inl.value(o.params, row);
          if (x !== x || insertInline(a, at, inl.width, x, inl.unique)) continue;
          // Full: the numbers become the object state, which takes this event below.
          s = inl.state(a, at, inl.width, o.params);
          a[at] = SPILLED;
          for (let k = 1; k < inl.width; k++) a[at + k] = NaN;
        }
      }
      // The state's home: lifetime / hot row states in objs, ring rows' in the group's side array.
      const all = this.objsOf(e);
      let states = all;
      let i = g.objBase + j;
      if (p >= 0) {
        const n = objs.length;
        states = (all[g.objBase + n] as unknown[] | undefined) ?? (all[g.objBase + n] = new Array<unknown>(e.nums[g.header + RING_CAP]! * n));
        i = p * n + j;
      }
      if (s === undefined) s = states[i];
      states[i] = o.def.update(s === undefined ? o.def.create(o.params) : s, o.params, row, matched, now);
    }
  }

  // Reads (window-reader.ts).

  /** Starts a read: combined windows from an earlier read are stale. */
  beginRead(): void {
    this.reader.beginRead();
  }

  /** Feature `f` of `e` at `now` (after beginRead); `windowEnd` as in WindowReader.read. */
  read(e: Entity, f: number, now: number, windowEnd: number | undefined): Value {
    return this.reader.read(e, f, now, windowEnd);
  }

  effectiveTime(f: number, now: number, windowEnd: number | undefined): number | undefined {
    return this.reader.effectiveTime(f, now, windowEnd);
  }

  bucketIndices(e: Entity, f: number): number[] {
    return this.reader.bucketIndices(e, f);
  }
}

function anyMatched(wheres: Int32Array, ms: Uint8Array): boolean {
  for (let i = 0; i < wheres.length; i++) if (ms[wheres[i]!] === 1) return true;
  return false;
}
