import type { AggregationSpec } from "../aggregate/catalogue.ts";
import type { OperatorDef } from "../aggregate/operator.ts";
import type { AccumulatorRef, InlineForm } from "../aggregate/slots.ts";
import { CONTINUOUS_BUCKETS } from "../aggregate/window.ts";
import type { WindowSpec } from "../aggregate/window.ts";
import type { Row, Value } from "../types.ts";
import { ACC_COUNT, ACC_MAX, ACC_MIN, ACC_MOMENTS, ACC_RATIO, ACC_SUM, accInit, accWidth } from "./accumulators.ts";

/**
 * A table's state layout, compiled once per registration from its features. An entity is one JS
 * number array `nums` plus, only once some feature needs object state, an array `objs` in the
 * table's pool (entity.ts).
 *
 * - inputs: each numeric field, and each distinct `where`, is evaluated once per event;
 * - groups: the features of one window form a group. A windowed group keeps ONE bucket ring per
 *   entity for all its features: a row is `[bucket index, accumulators…, inline numbers…]`;
 * - accumulators: features whose op has a slot form read shared f64 accumulators (aggregate/slots.ts);
 *   other features keep the op's object state, with the first few numbers inline for ops that have an
 *   inline form.
 *
 * `nums` = [lastSeen, objSlot | lifetime row | hot rows | ring headers | rings]. A group's hot row is its
 * newest bucket, at a fixed offset next to the lifetime row, so the usual event (same bucket as the
 * entity's previous one) touches a few adjacent cache lines and no ring bookkeeping; older buckets
 * move to the group's ring (bucket-ring.ts) when a newer one starts.
 */

export const LIFETIME = 0;
export const CONTINUOUS = 1;
export const TILED = 2;

/**
 * nums[LAST_SEEN] is the entity's last event time; nums[OBJ_SLOT] the index of its object states in
 * the table's pool (NaN while it has none, entity.ts); the lifetime row follows.
 */
export const LAST_SEEN = 0;
export const OBJ_SLOT = 1;
export const LIFETIME_BASE = 2;

/**
 * Ring header fields, from a group's `header` offset: capacity, position of the oldest row, row
 * count, and the oldest row's bucket index (NaN when empty) so that checking for expired rows needs
 * no read of the ring itself, which is usually not in cache.
 */
export const RING_CAP = 0;
export const RING_HEAD = 1;
export const RING_LEN = 2;
export const RING_OLDEST = 3;
export const RING_HEADER = 4;

/** A shared accumulator of a group. */
export interface AccLayout {
  /**
   * Identity across registrations (rebind copies accumulators whose id is in both layouts): kind
   * family, input and `where`, plus the generation that created it. Features added by a later
   * registration get a new generation, so they start empty instead of inheriting another feature's
   * history (and an order-1 sum never has to grow an M2 it never tracked).
   */
  readonly id: string;
  readonly kind: number;
  /** Offset in the group's row. */
  readonly offset: number;
  /** Input index (layout.inputs) or -1. */
  readonly input: number;
  /** `where` index (layout.wheres) or -1: the accumulator only sees matched events (ratio: only `matched`). */
  readonly where: number;
}

/** A feature that keeps its op's object state. */
export interface ObjLayout {
  readonly feature: number;
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  readonly def: OperatorDef<any, any>;
  readonly params: unknown;
  readonly where: number;
  readonly observesUnmatched: boolean;
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  readonly inline: InlineForm<any, any> | undefined;
  /** Offset of the inline numbers in the group's row, or -1. */
  readonly inlineOffset: number;
}

export interface GroupLayout {
  /** "lifetime", "c:<W>" or "t:<W>:<I>". */
  readonly key: string;
  readonly kind: number;
  readonly windowMs: number;
  /** Bucket width (continuous) or tile width (tiled); 0 for lifetime. */
  readonly width: number;
  /** Tiles per window (tiled). */
  readonly tiles: number;
  /**
   * Most buckets kept (hot row included): 64 (continuous), tiles + 1 (tiled: the tile being filled
   * plus a full window; older tiles are never read again).
   */
  readonly maxBuckets: number;
  readonly accs: readonly AccLayout[];
  /** Numbers per row: the bucket index (windowed), accumulators, inline numbers. */
  readonly rowWidth: number;
  /** An empty row (accumulators' empty values, NaN elsewhere): new rows are copies of it. */
  readonly empty: readonly number[];
  /** Offset in nums of the row (lifetime) or of the hot row (windowed). */
  readonly row: number;
  /** Windowed: offset in nums of the ring header. */
  readonly header: number;
  readonly objs: readonly ObjLayout[];
  /**
   * Index in `objs` of the group's object states: the lifetime or hot-row states at objBase + j,
   * and (windowed) the ring's side array at objBase + objs.length, holding objs.length states per
   * ring row at the ring's physical row positions.
   */
  readonly objBase: number;
  /** True when every event reaching the table updates something in the group (no `where` to check). */
  readonly always: boolean;
  /** Otherwise the `where` indices of its members: the bucket is touched when one of them matched. */
  readonly wheres: Int32Array;
  // Accumulators and inline regions as parallel int arrays, for the hot loops.
  readonly accKind: Int32Array;
  readonly accOffset: Int32Array;
  readonly accInput: Int32Array;
  readonly accWhere: Int32Array;
  readonly inlineOffset: Int32Array;
  readonly inlineWidth: Int32Array;
}

/** One numeric input read per event: `field` as a number (NaN when absent or not a number). */
export interface InputLayout {
  readonly field: string;
  /** Truncated toward zero (sum over an i64 field). */
  readonly trunc: boolean;
}

/** How a read finds a feature. */
export interface FeatureLayout {
  readonly spec: AggregationSpec;
  readonly group: number;
  /** Slot form: the accumulator's offset in the row, and the op's slot reader. */
  readonly accOffset: number;
  readonly slotRead: ((a: readonly number[], o: number, p: unknown) => Value) | undefined;
  /** Object form: index among the group's `objs`, and the state `read` uses before any event. */
  readonly obj: number;
  readonly empty: unknown;
}

export interface TableLayout {
  readonly inputs: readonly InputLayout[];
  readonly wheres: readonly ((row: Row) => Value)[];
  /** groups[0] is the lifetime group (possibly empty); windowed groups follow in first-use order. */
  readonly groups: readonly GroupLayout[];
  readonly features: readonly FeatureLayout[];
  /** Length of `objs` (0: entities never have one). */
  readonly objCount: number;
  /** Offset in nums of the first ring (rings follow in group order, each cap × rowWidth). */
  readonly ringsBase: number;
  readonly generation: number;
}

export function windowKey(w: WindowSpec): string {
  return w.kind === "lifetime" ? "lifetime" : w.kind === "continuous" ? `c:${w.windowMs}` : `t:${w.windowMs}:${w.intervalMs}`;
}

function accBaseKey(ref: AccumulatorRef, whereSource: string | undefined): string {
  const input = ref.kind === "moments" ? `${ref.field}|${ref.trunc ? "trunc" : ""}` : ref.kind === "min" || ref.kind === "max" ? ref.field : "";
  return `${ref.kind}|${input}|${whereSource ?? ""}`;
}

interface AccDraft {
  id: string;
  kind: number;
  input: number;
  where: number;
}

interface ObjDraft {
  feature: number;
  spec: AggregationSpec;
  where: number;
}

interface GroupDraft {
  key: string;
  window: WindowSpec;
  accs: AccDraft[];
  accById: Map<string, AccDraft>;
  objs: ObjDraft[];
  always: boolean;
  wheres: Set<number>;
}

/**
 * What a rebind keeps from the previous layout: for features carried over, the id of the
 * accumulator they used and its kind (so a shared sum keeps its M2 even when the var that needed it
 * is gone). Features absent from the map are new.
 */
export interface Inheritance {
  readonly generation: number;
  readonly accOf: ReadonlyMap<number, { readonly id: string; readonly kind: number }>;
}

/** Feature index → the id and kind of the accumulator its slot reads (features without one are absent). */
export function featureAccs(layout: TableLayout): Map<number, { id: string; kind: number }> {
  const accOf = new Map<number, { id: string; kind: number }>();
  layout.features.forEach((f, i) => {
    if (f.accOffset < 0) return;
    const acc = layout.groups[f.group]!.accs.find((a) => a.offset === f.accOffset)!;
    accOf.set(i, { id: acc.id, kind: acc.kind });
  });
  return accOf;
}

/** Compiles a table's features (declared order) into its layout. */
export function buildLayout(specs: readonly AggregationSpec[], inherit?: Inheritance): TableLayout {
  const generation = inherit?.generation ?? 0;
  const inputs: InputLayout[] = [];
  const inputIndex = new Map<string, number>();
  const wheres: ((row: Row) => Value)[] = [];
  const whereIndex = new Map<string, number>();
  const drafts: GroupDraft[] = [];
  const groupIndex = new Map<string, number>();

  const input = (field: string, trunc: boolean): number => {
    const k = `${field}|${trunc}`;
    let i = inputIndex.get(k);
    if (i === undefined) {
      i = inputs.length;
      inputs.push({ field, trunc });
      inputIndex.set(k, i);
    }
    return i;
  };
  const where = (spec: AggregationSpec): number => {
    if (spec.where === undefined) return -1;
    const k = spec.whereSource ?? "";
    let i = whereIndex.get(k);
    if (i === undefined) {
      i = wheres.length;
      wheres.push(spec.where);
      whereIndex.set(k, i);
    }
    return i;
  };
  const group = (w: WindowSpec): number => {
    const key = windowKey(w);
    let g = groupIndex.get(key);
    if (g === undefined) {
      g = drafts.length;
      drafts.push({ key, window: w, accs: [], accById: new Map(), objs: [], always: false, wheres: new Set() });
      groupIndex.set(key, g);
    }
    return g;
  };
  group({ kind: "lifetime" });

  const placed: { group: number; acc: AccDraft | undefined; obj: number }[] = [];
  specs.forEach((spec, i) => {
    const g = group(spec.window);
    const d = drafts[g]!;
    const w = where(spec);
    const ref = spec.def.slots?.accumulator(spec.params);
    // Ops that observe unmatched events (ratio, streaks) see every event, so the bucket is always touched.
    if (w < 0 || spec.def.observesUnmatched === true) d.always = true;
    else d.wheres.add(w);
    if (ref === undefined) {
      d.objs.push({ feature: i, spec, where: w });
      placed.push({ group: g, acc: undefined, obj: d.objs.length - 1 });
      return;
    }
    const inherited = inherit?.accOf.get(i);
    const id = inherited?.id ?? `${accBaseKey(ref, spec.whereSource)}#${generation}`;
    let acc = d.accById.get(id);
    const kind = accKind(ref);
    if (acc === undefined) {
      const inp = ref.kind === "moments" ? input(ref.field, ref.trunc) : ref.kind === "min" || ref.kind === "max" ? input(ref.field, false) : -1;
      acc = { id, kind: inherited?.kind ?? kind, input: inp, where: w };
      d.accs.push(acc);
      d.accById.set(id, acc);
    } else if (acc.kind === ACC_SUM && kind === ACC_MOMENTS) {
      acc.kind = ACC_MOMENTS;
    }
    placed.push({ group: g, acc, obj: -1 });
  });

  // Row shapes, then absolute offsets: lastSeen, lifetime row, hot rows, ring headers, rings.
  let objCount = 0;
  const shapes = drafts.map((d, g) => {
    let offset = g === 0 ? 0 : 1;
    const accs: AccLayout[] = d.accs.map((a) => {
      const out = { id: a.id, kind: a.kind, offset, input: a.input, where: a.where };
      offset += accWidth(a.kind);
      return out;
    });
    const objs: ObjLayout[] = d.objs.map((o) => {
      const inline = o.spec.def.inline;
      const inlineOffset = inline === undefined ? -1 : offset;
      if (inline !== undefined) offset += inline.width;
      const def = o.spec.def;
      return { feature: o.feature, def, params: o.spec.params, where: o.where, observesUnmatched: def.observesUnmatched === true, inline, inlineOffset };
    });
    const objBase = objs.length === 0 ? -1 : objCount;
    objCount += objs.length === 0 ? 0 : g === 0 ? objs.length : objs.length + 1;
    return { accs, objs, rowWidth: offset, objBase };
  });
  let at = LIFETIME_BASE + shapes[0]!.rowWidth;
  const hot = shapes.map((s, g) => {
    if (g === 0) return LIFETIME_BASE;
    const o = at;
    at += s.rowWidth;
    return o;
  });
  const header = shapes.map((_s, g) => {
    if (g === 0) return -1;
    const o = at;
    at += RING_HEADER;
    return o;
  });
  const ringsBase = at;

  const groups: GroupLayout[] = drafts.map((d, g) => {
    const { accs, objs, rowWidth, objBase } = shapes[g]!;
    const w = d.window;
    return {
      key: d.key,
      kind: w.kind === "lifetime" ? LIFETIME : w.kind === "continuous" ? CONTINUOUS : TILED,
      windowMs: w.kind === "lifetime" ? 0 : w.windowMs,
      width: w.kind === "continuous" ? w.bucketMs : w.kind === "tiled" ? w.intervalMs : 0,
      tiles: w.kind === "tiled" ? w.windowMs / w.intervalMs : 0,
      maxBuckets: w.kind === "tiled" ? w.windowMs / w.intervalMs + 1 : CONTINUOUS_BUCKETS,
      accs,
      rowWidth,
      empty: emptyRow(rowWidth, accs),
      row: hot[g]!,
      header: header[g]!,
      objs,
      objBase,
      always: d.always,
      wheres: Int32Array.from(d.wheres),
      accKind: Int32Array.from(accs, (a) => a.kind),
      accOffset: Int32Array.from(accs, (a) => a.offset),
      accInput: Int32Array.from(accs, (a) => a.input),
      accWhere: Int32Array.from(accs, (a) => a.where),
      inlineOffset: Int32Array.from(objs.filter((o) => o.inline !== undefined), (o) => o.inlineOffset),
      inlineWidth: Int32Array.from(objs.filter((o) => o.inline !== undefined), (o) => o.inline!.width),
    };
  });

  const features: FeatureLayout[] = specs.map((spec, i) => {
    const p = placed[i]!;
    const acc = p.acc === undefined ? undefined : groups[p.group]!.accs.find((a) => a.id === p.acc!.id)!;
    return {
      spec,
      group: p.group,
      accOffset: acc === undefined ? -1 : acc.offset,
      slotRead: acc === undefined ? undefined : (spec.def.slots!.read as FeatureLayout["slotRead"]),
      obj: p.obj,
      empty: acc === undefined ? spec.def.create(spec.params) : undefined,
    };
  });

  return { inputs, wheres, groups, features, objCount, ringsBase, generation };
}

function emptyRow(width: number, accs: readonly AccLayout[]): number[] {
  const row = new Array<number>(width).fill(NaN);
  for (const acc of accs) accInit(row, acc.offset, acc.kind);
  return row;
}

function accKind(ref: AccumulatorRef): number {
  switch (ref.kind) {
    case "count":
      return ACC_COUNT;
    case "moments":
      return ref.order === 2 ? ACC_MOMENTS : ACC_SUM;
    case "min":
      return ACC_MIN;
    case "max":
      return ACC_MAX;
    case "ratio":
      return ACC_RATIO;
  }
}
