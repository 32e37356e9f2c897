import { continuousMinLive, tileEnd } from "../aggregate/window.ts";
import type { Value } from "../types.ts";
import { accCombineRows } from "./accumulators.ts";
import { liveRange, physAt, ringStart, sideOf } from "./bucket-ring.ts";
import type { Entity } from "./entity.ts";
import { initRow, newDoubles } from "./entity.ts";
import { copyInline } from "./inline-numbers.ts";
import type { FeatureLayout, GroupLayout, TableLayout } from "./layout.ts";
import { CONTINUOUS, LIFETIME, LIFETIME_BASE, RING_LEN, TILED } from "./layout.ts";

/** A window's buckets for one read: read time, ring start, ring positions [first, end), hot row or -1. */
interface Span {
  t: number;
  start: number;
  first: number;
  end: number;
  hotRow: number;
}

/**
 * Reads features of entities over a table's layout. A window's buckets are found once per read and
 * its accumulators combined once (then every feature of the window reads the combined row); object
 * features gather their live bucket states and inline numbers into reused scratch arrays, so a read
 * allocates nothing per bucket (sketch ops merge through their inline form's `read`).
 */
export class WindowReader {
  private readonly layout: TableLayout;
  /** Per read: a windowed group's live buckets combined, valid while combinedAt[g] === readSerial. */
  private readonly combined: number[][];
  private readonly combinedAt: Float64Array;
  /** Per read: where a windowed group's buckets in the window are, valid while spanAt[g] === readSerial. */
  private readonly spans: Span[];
  private readonly spanAt: Float64Array;
  private readSerial = 0;
  /** Scratch: the offsets of the rows being combined. */
  private rows = new Int32Array(64);
  /** Scratch: the live object states and inline numbers of one feature. */
  private readonly states: unknown[] = [];
  private loose: Float64Array = new Float64Array(64);

  constructor(layout: TableLayout) {
    this.layout = layout;
    this.combined = layout.groups.map((g) => newDoubles(g.rowWidth));
    this.combinedAt = new Float64Array(layout.groups.length).fill(-1);
    this.spans = layout.groups.map(() => ({ t: 0, start: 0, first: 0, end: 0, hotRow: -1 }));
    this.spanAt = new Float64Array(layout.groups.length).fill(-1);
  }

  /** Starts a read: combined windows from an earlier read are stale. */
  beginRead(): void {
    this.readSerial++;
  }

  /**
   * Feature `f` of `e` at read time `now` (call beginRead first, once per entity and time).
   * `windowEnd` moves the end of windows (Tecton's LATEST_EVENT_TIME): continuous windows end there,
   * tiled windows at its tile boundary.
   */
  read(e: Entity, f: number, now: number, windowEnd: number | undefined): Value {
    const L = this.layout;
    const fl = L.features[f]!;
    const g = L.groups[fl.group]!;
    if (g.kind === LIFETIME) {
      if (fl.slotRead !== undefined) return fl.slotRead(e.nums, LIFETIME_BASE + fl.accOffset, fl.spec.params);
      return this.readObj(e, g, fl, LIFETIME_BASE, 0, 0, 0, now);
    }
    const gi = fl.group;
    const a = e.nums;
    if (this.spanAt[gi] !== this.readSerial) this.locate(a, gi, g, now, windowEnd);
    const sp = this.spans[gi]!;
    if (fl.slotRead !== undefined) return fl.slotRead(this.combine(a, gi, g, sp), fl.accOffset, fl.spec.params);
    return this.readObj(e, g, fl, sp.hotRow, sp.start, sp.first, sp.end, sp.t);
  }

  /** Finds group gi's buckets in the read's window: ring positions [first, end) and the hot row. */
  private locate(a: readonly number[], gi: number, g: GroupLayout, now: number, windowEnd: number | undefined): void {
    const sp = this.spans[gi]!;
    let lo: number;
    let hi: number;
    if (g.kind === CONTINUOUS) {
      sp.t = windowEnd ?? now;
      lo = continuousMinLive(sp.t, g.windowMs, g.width);
      hi = Math.floor(sp.t / g.width) + 1;
    } else {
      // Tiles [end/I − W/I, end/I): only complete tiles count.
      sp.t = tileEnd(windowEnd ?? now, g.width);
      hi = sp.t / g.width;
      lo = hi - g.tiles;
    }
    sp.start = ringStart(a, this.layout, gi);
    const range = liveRange(a, g, sp.start, lo, hi);
    sp.first = range % 65536;
    sp.end = (range - sp.first) / 65536;
    const hot = a[g.row]!;
    sp.hotRow = hot >= lo && hot < hi ? g.row : -1;
    this.spanAt[gi] = this.readSerial;
  }

  /** Tiled features: the end of the last complete tile (Tecton's effectiveTime); else undefined. */
  effectiveTime(f: number, now: number, windowEnd: number | undefined): number | undefined {
    const g = this.layout.groups[this.layout.features[f]!.group]!;
    return g.kind === TILED ? tileEnd(windowEnd ?? now, g.width) : undefined;
  }

  /** The group's accumulators over its buckets in the read's window, combined into a scratch row, once per read. */
  private combine(a: readonly number[], gi: number, g: GroupLayout, sp: Span): number[] {
    const out = this.combined[gi]!;
    if (this.combinedAt[gi] === this.readSerial) return out;
    this.combinedAt[gi] = this.readSerial;
    initRow(out, 0, g);
    // The rows, oldest first: the ring's live ones, then the hot row.
    let rows = this.rows;
    if (rows.length < sp.end - sp.first + 1) rows = this.rows = new Int32Array(2 * (sp.end - sp.first + 1));
    let n = 0;
    for (let i = sp.first; i < sp.end; i++) rows[n++] = sp.start + physAt(a, g, i) * g.rowWidth;
    if (sp.hotRow >= 0) rows[n++] = sp.hotRow;
    const kinds = g.accKind;
    const offs = g.accOffset;
    for (let k = 0; k < kinds.length; k++) accCombineRows(out, offs[k]!, a, rows, n, offs[k]!, kinds[k]!);
    return out;
  }

  /**
   * An object feature's value over the given rows: the lifetime / hot row `hotRow` (-1: none) and
   * ring rows [first, end). Inline numbers and object states are gathered into scratch arrays.
   */
  private readObj(e: Entity, g: GroupLayout, fl: FeatureLayout, hotRow: number, start: number, first: number, end: number, t: number): Value {
    const o = g.objs[fl.obj]!;
    const def = o.def;
    const p = o.params;
    const a = e.nums;
    const states = this.states;
    const n = g.objs.length;
    const side = sideOf(e, g);
    let count = 0;
    let nl = 0;
    for (let i = first; i <= end; i++) {
      let r: number;
      let s: unknown;
      if (i < end) {
        r = start + physAt(a, g, i) * g.rowWidth;
        s = side === undefined ? undefined : side[physAt(a, g, i) * n + fl.obj];
      } else {
        if (hotRow < 0) break;
        r = hotRow;
        s = e.objs === null ? undefined : e.objs[g.objBase + fl.obj];
      }
      if (s !== undefined) states[count++] = s;
      if (o.inline !== undefined) {
        const w = o.inline.width;
        if (this.loose.length < nl + w) this.loose = grow(this.loose, nl + w);
        nl = copyInline(a, r + o.inlineOffset, w, this.loose, nl);
      }
    }
    let v: Value;
    if (o.inline !== undefined) v = o.inline.read(states, count, this.loose, nl, p, t);
    else if (count === 0) v = def.read(fl.empty, p, t);
    else if (count === 1) v = def.read(states[0], p, t);
    else {
      let acc = def.merge!(def.create(p), states[0], p);
      for (let i = 1; i < count; i++) acc = def.merge!(acc, states[i], p);
      v = def.read(acc, p, t);
    }
    for (let i = 0; i < count; i++) states[i] = undefined;
    return v;
  }

  /** Bucket indices of feature f's window, oldest first, the hot row last (tests and tools). */
  bucketIndices(e: Entity, f: number): number[] {
    const gi = this.layout.features[f]!.group;
    if (gi === 0) return [];
    const g = this.layout.groups[gi]!;
    const a = e.nums;
    const start = ringStart(a, this.layout, gi);
    const out: number[] = [];
    for (let i = 0; i < a[g.header + RING_LEN]!; i++) out.push(a[start + physAt(a, g, i) * g.rowWidth]!);
    if (a[g.row] === a[g.row]) out.push(a[g.row]!);
    return out;
  }
}

function grow(a: Float64Array, n: number): Float64Array {
  const b = new Float64Array(2 * n);
  b.set(a);
  return b;
}
