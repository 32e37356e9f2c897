import { accWidth } from "./accumulators.ts";
import { physAt, ringStart, sideOf } from "./bucket-ring.ts";
import type { Entity, ObjectPool } from "./entity.ts";
import { initRow, newDoubles, newNums } from "./entity.ts";
import type { GroupLayout, TableLayout } from "./layout.ts";
import { LAST_SEEN, RING_CAP, RING_HEAD, RING_LEN, RING_OLDEST } from "./layout.ts";

/**
 * Rewrites an entity from one layout to another (a registration that kept the table but changed its
 * features). What carries over: accumulators whose id is in both layouts (layout.ts gives kept
 * features their old ids), the object states and inline numbers of kept features
 * (`featureMap[new] = old`, -1 for new features), and every bucket of a window that still exists.
 * Everything else starts empty. Returns the new numbers; object states go to `pool` (the new
 * layout's).
 */
export function migrateEntity(from: TableLayout, to: TableLayout, featureMap: readonly number[], e: Entity, pool: ObjectPool): number[] {
  const a = e.nums;
  const oldGroup = new Map<string, number>();
  from.groups.forEach((g, gi) => oldGroup.set(g.key, gi));
  // For each new group: the old group with the same window, and which old object feature each of
  // its object features continues (-1: none).
  const sources = to.groups.map((g) => {
    const gi = oldGroup.get(g.key);
    const objFrom = g.objs.map((o) => {
      const i = featureMap[o.feature]!;
      return i < 0 ? -1 : from.features[i]!.obj;
    });
    return { gi, objFrom };
  });

  // A fresh entity with each ring sized for exactly the buckets it inherits.
  const fresh = newNums(to, a[LAST_SEEN]!);
  const caps = to.groups.map((_g, gi) => {
    const s = sources[gi]!;
    return gi === 0 || s.gi === undefined ? 0 : a[from.groups[s.gi]!.header + RING_LEN]!;
  });
  let size = to.ringsBase;
  to.groups.forEach((g, gi) => (size += caps[gi]! * g.rowWidth));
  const b = newDoubles(size);
  for (let i = 0; i < fresh.length; i++) b[i] = fresh[i]!;
  let objs: unknown[] | null = null;

  to.groups.forEach((g, gi) => {
    const { gi: ogi, objFrom } = sources[gi]!;
    if (ogi === undefined) return;
    const og = from.groups[ogi]!;
    const objsOf = (): unknown[] => (objs ??= new Array<unknown>(to.objCount));
    // Lifetime or hot row.
    if (gi === 0 || a[og.row] === a[og.row]) {
      copyRow(a, og.row, og, b, g.row, g, objFrom, gi === 0);
      objFrom.forEach((k, j) => {
        const s = k < 0 || e.objs === null ? undefined : e.objs[og.objBase + k];
        if (s !== undefined) objsOf()[g.objBase + j] = s;
      });
    }
    if (gi === 0) return;
    // Ring rows, oldest first, into positions 0..len-1.
    const len = caps[gi]!;
    b[g.header + RING_CAP] = len;
    b[g.header + RING_HEAD] = 0;
    b[g.header + RING_LEN] = len;
    b[g.header + RING_OLDEST] = len > 0 ? a[ringStart(a, from, ogi) + physAt(a, og, 0) * og.rowWidth]! : NaN;
    const oldStart = ringStart(a, from, ogi);
    const newStart = ringStart(b, to, gi);
    const oldSide = sideOf(e, og);
    let side: unknown[] | undefined;
    for (let i = 0; i < len; i++) {
      const p = physAt(a, og, i);
      copyRow(a, oldStart + p * og.rowWidth, og, b, newStart + i * g.rowWidth, g, objFrom, false);
      if (oldSide === undefined) continue;
      objFrom.forEach((k, j) => {
        const s = k < 0 ? undefined : oldSide[p * og.objs.length + k];
        if (s === undefined) return;
        side ??= objsOf()[g.objBase + g.objs.length] = new Array<unknown>(len * g.objs.length);
        side[i * g.objs.length + j] = s;
      });
    }
  });
  if (objs !== null) pool.attach(b, objs);
  return b;
}

/**
 * Writes row a[r..] of group `from` as an empty row of group `to` at b[s..], then copies the bucket
 * index (windowed), the accumulators both have (by id) and the inline numbers of continued features.
 */
function copyRow(a: readonly number[], r: number, from: GroupLayout, b: number[], s: number, to: GroupLayout, objFrom: readonly number[], lifetime: boolean): void {
  initRow(b, s, to);
  if (!lifetime) b[s] = a[r]!;
  for (const acc of to.accs) {
    const old = from.accs.find((x) => x.id === acc.id);
    if (old === undefined) continue;
    for (let k = 0; k < accWidth(acc.kind); k++) b[s + acc.offset + k] = a[r + old.offset + k]!;
  }
  to.objs.forEach((o, j) => {
    const k = objFrom[j]!;
    if (o.inline === undefined || k < 0) return;
    const old = from.objs[k]!;
    for (let i = 0; i < o.inline.width; i++) b[s + o.inlineOffset + i] = a[r + old.inlineOffset + i]!;
  });
}

