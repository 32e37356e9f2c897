import type { AggregationSpec } from "../aggregate/catalogue.ts";
import { continuousMinLive, tileEnd } from "../aggregate/window.ts";
import type { Row, Value } from "../types.ts";
import { ACC_COUNT, ACC_MAX, ACC_MIN, ACC_MOMENTS, ACC_RATIO, ACC_SUM, accCombine } from "./accumulators.ts";
import { bucketRow, growRings, liveRange, needsRoom, nextCap, physAt, ringStart, sideOf } from "./bucket-ring.ts";
import type { Entity } from "./entity.ts";
import { initRow, newDoubles, newEntity, objsOf } from "./entity.ts";
import type { FeatureLayout, GroupLayout, Inheritance, ObjLayout, TableLayout } from "./layout.ts";
import { buildLayout, CONTINUOUS, LAST_SEEN, LIFETIME, LIFETIME_BASE, RING_CAP, RING_LEN, TILED } from "./layout.ts";

/** Marks an inline region whose numbers moved into the object state (inline numbers are finite). */
const SPILLED = -Infinity;

/**
 * Applies events to entities and reads features, over a table's layout (layout.ts). The per-event
 * path allocates nothing once an entity's rings have grown to its rate: inputs and `where`s are
 * evaluated once into scratch arrays, then each group updates its hot row in place.
 */
export class TableRuntime {
  readonly layout: TableLayout;
  /** Per event: each input's value (NaN = absent / not a number). */
  private readonly xs: Float64Array;
  /** Per event: each `where`'s outcome (1 = matched). */
  private readonly ms: Uint8Array;
  /** Per read: a windowed group's live buckets combined, valid while combinedAt[g] === readSerial. */
  private readonly combined: number[][];
  private readonly combinedAt: Float64Array;
  private readSerial = 0;
  /** Read scratch: the live object states and inline numbers of one feature. */
  private readonly states: unknown[] = [];
  private loose = new Float64Array(64);
  /** Per event: each window's bucket index (NaN: the event does not touch the window). */
  private readonly idxs: Float64Array;
  /** Per event: each window's lowest bucket index still readable (set when the bucket changes). */
  private readonly minLives: Float64Array;
  /** Per event: new ring capacities to allocate before applying (0: unchanged). */
  private readonly caps: Float64Array;

  constructor(specs: readonly AggregationSpec[], inherit?: Inheritance) {
    this.layout = buildLayout(specs, inherit);
    this.xs = new Float64Array(this.layout.inputs.length);
    this.ms = new Uint8Array(this.layout.wheres.length);
    this.combined = this.layout.groups.map((g) => newDoubles(g.rowWidth));
    this.combinedAt = new Float64Array(this.layout.groups.length).fill(-1);
    this.idxs = new Float64Array(this.layout.groups.length);
    this.minLives = new Float64Array(this.layout.groups.length);
    this.caps = new Float64Array(this.layout.groups.length);
  }

  newEntity(now: number): Entity {
    return newEntity(this.layout, now);
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

    e.nums[LAST_SEEN] = now;
    const groups = L.groups;
    const life = groups[0]!;
    updateAccs(e.nums, LIFETIME_BASE, life, xs, ms);
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
      updateAccs(e.nums, r, g, xs, ms);
      if (g.objBase >= 0) this.updateObjs(e, r, g, row, now, r === g.row ? -1 : (r - ringStart(e.nums, L, gi)) / g.rowWidth);
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
      const all = objsOf(e, this.layout);
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
    let t: number;
    let lo: number;
    let hi: number;
    if (g.kind === CONTINUOUS) {
      t = windowEnd ?? now;
      lo = continuousMinLive(t, g.windowMs, g.width);
      hi = Math.floor(t / g.width) + 1;
    } else {
      // Tiles [end/I − W/I, end/I): only complete tiles count.
      t = tileEnd(windowEnd ?? now, g.width);
      hi = t / g.width;
      lo = hi - g.tiles;
    }
    const a = e.nums;
    const start = ringStart(a, L, fl.group);
    const range = liveRange(a, g, start, lo, hi);
    const first = range % 65536;
    const end = (range - first) / 65536;
    const hot = a[g.row]!;
    const hotRow = hot >= lo && hot < hi ? g.row : -1;
    if (fl.slotRead !== undefined) return fl.slotRead(this.combine(a, fl.group, g, start, first, end, hotRow), fl.accOffset, fl.spec.params);
    return this.readObj(e, g, fl, hotRow, start, first, end, t);
  }

  /** Tiled features: the end of the last complete tile (Tecton's effectiveTime); else undefined. */
  effectiveTime(f: number, now: number, windowEnd: number | undefined): number | undefined {
    const g = this.layout.groups[this.layout.features[f]!.group]!;
    return g.kind === TILED ? tileEnd(windowEnd ?? now, g.width) : undefined;
  }

  /**
   * The group's accumulators over ring rows [first, end) and the hot row (when hotRow >= 0),
   * combined into a scratch row, once per read.
   */
  private combine(a: readonly number[], gi: number, g: GroupLayout, start: number, first: number, end: number, hotRow: number): number[] {
    const out = this.combined[gi]!;
    if (this.combinedAt[gi] === this.readSerial) return out;
    this.combinedAt[gi] = this.readSerial;
    initRow(out, 0, g);
    const kinds = g.accKind;
    const offs = g.accOffset;
    for (let i = first; i <= end; i++) {
      const r = i < end ? start + physAt(a, g, i) * g.rowWidth : hotRow;
      if (r < 0) break;
      for (let k = 0; k < kinds.length; k++) accCombine(out, offs[k]!, a, r + offs[k]!, kinds[k]!);
    }
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
      if (o.inline !== undefined) nl = this.gatherInline(a, r + o.inlineOffset, o, nl);
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

  /** Appends the inline numbers at a[at..] to the loose scratch; returns the new count. */
  private gatherInline(a: readonly number[], at: number, o: ObjLayout, nl: number): number {
    const w = o.inline!.width;
    if (this.loose.length < nl + w) {
      const grown = new Float64Array(2 * (nl + w));
      grown.set(this.loose);
      this.loose = grown;
    }
    for (let k = 0; k < w; k++) {
      const x = a[at + k]!;
      if (x === x && x !== SPILLED) this.loose[nl++] = x;
    }
    return nl;
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

/** Inserts x into the sorted inline region a[at..at+w) (NaN-padded); false when it is full. */
function insertInline(a: number[], at: number, w: number, x: number, unique: boolean): boolean {
  let n = 0;
  while (n < w && a[at + n] === a[at + n]) n++;
  let i = 0;
  while (i < n && a[at + i]! < x) i++;
  if (unique && i < n && a[at + i] === x) return true;
  if (n === w) return false;
  for (let k = n; k > i; k--) a[at + k] = a[at + k - 1]!;
  a[at + i] = x;
  return true;
}

/** The lowest bucket index any read can still include once a bucket `idx` event at `now` exists. */
function minLiveOf(g: GroupLayout, now: number, idx: number): number {
  // Tiles older than the current window's first tile can never be read again (ends only advance).
  return g.kind === CONTINUOUS ? continuousMinLive(now, g.windowMs, g.width) : idx - g.tiles;
}

function anyMatched(wheres: Int32Array, ms: Uint8Array): boolean {
  for (let i = 0; i < wheres.length; i++) if (ms[wheres[i]!] === 1) return true;
  return false;
}

/** Updates the group's accumulators in the row at `r`. */
function updateAccs(a: number[], r: number, g: GroupLayout, xs: Float64Array, ms: Uint8Array): void {
  const kinds = g.accKind;
  const offs = g.accOffset;
  const ins = g.accInput;
  const whs = g.accWhere;
  for (let i = 0; i < kinds.length; i++) {
    const o = r + offs[i]!;
    const w = whs[i]!;
    const kind = kinds[i]!;
    if (kind === ACC_RATIO) {
      a[o + 1]! += 1;
      if (w < 0 || ms[w] === 1) a[o]! += 1;
      continue;
    }
    if (w >= 0 && ms[w] !== 1) continue;
    if (kind === ACC_COUNT) {
      a[o]! += 1;
      continue;
    }
    const x = xs[ins[i]!]!;
    if (x !== x) continue;
    switch (kind) {
      case ACC_SUM:
        a[o]! += 1;
        a[o + 1]! += x;
        break;
      case ACC_MOMENTS: {
        // Welford's update, with the mean kept as Σx / n.
        const n0 = a[o]!;
        const s0 = a[o + 1]!;
        const d = n0 === 0 ? 0 : x - s0 / n0;
        const n = n0 + 1;
        const s = s0 + x;
        a[o] = n;
        a[o + 1] = s;
        a[o + 2]! += d * (x - s / n);
        break;
      }
      case ACC_MIN:
        // Also replaces the empty NaN (`x >= NaN` is false).
        if (!(x >= a[o]!)) a[o] = x;
        break;
      case ACC_MAX:
        if (!(x <= a[o]!)) a[o] = x;
        break;
    }
  }
}

