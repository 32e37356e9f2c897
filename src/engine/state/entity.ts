import type { GroupLayout, TableLayout } from "./layout.ts";
import { LAST_SEEN, LIFETIME_BASE, RING_CAP, RING_HEAD, RING_LEN, RING_OLDEST } from "./layout.ts";

/**
 * One entity's row. `nums` is a plain JS array of doubles — V8 keeps it unboxed, 8 B per number
 * plus a 48 B header, where a Float64Array costs ~200 B of wrappers — laid out by the table's
 * layout (layout.ts): [lastSeen | lifetime row | hot rows | ring headers | rings]. `objs` holds the
 * object states of features without a slot form (null until one is needed): lifetime and hot-row
 * states, and per windowed group a side array for its ring rows (bucket-ring.ts).
 */
export class Entity {
  nums: number[];
  objs: unknown[] | null;

  constructor(nums: number[], objs: unknown[] | null) {
    this.nums = nums;
    this.objs = objs;
  }
}

/**
 * NaN-filled template that new arrays are sliced from: `slice` copies its elements kind
 * (PACKED_DOUBLE_ELEMENTS) with a memcpy, 2–3× faster than `new Array(n).fill(NaN)`.
 */
let nanTemplate: number[] = new Array<number>(1024).fill(NaN);

/**
 * A double array of length n, all NaN. Every entity's array has the same elements kind (packed,
 * unboxed doubles), so the hot loops stay monomorphic; NaN is also the empty value of an inline
 * region and of a row's bucket index.
 */
export function newDoubles(n: number): number[] {
  if (n > nanTemplate.length) nanTemplate = new Array<number>(2 * n).fill(NaN);
  return nanTemplate.slice(0, n);
}

/** Writes an empty row of group g at a[r..] (a copy of the group's empty row). */
export function initRow(a: number[], r: number, g: GroupLayout): void {
  const empty = g.empty;
  for (let k = 0; k < empty.length; k++) a[r + k] = empty[k]!;
}

/** A fresh entity whose last event is at `now`: empty lifetime row, no buckets, empty rings. */
export function newEntity(layout: TableLayout, now: number): Entity {
  const nums = newDoubles(layout.ringsBase);
  nums[LAST_SEEN] = now;
  const groups = layout.groups;
  initRow(nums, LIFETIME_BASE, groups[0]!);
  for (let g = 1; g < groups.length; g++) {
    // Hot rows stay NaN (no bucket yet): the first event of the window initialises them.
    const h = groups[g]!.header;
    nums[h + RING_CAP] = 0;
    nums[h + RING_HEAD] = 0;
    nums[h + RING_LEN] = 0;
    nums[h + RING_OLDEST] = NaN;
  }
  return new Entity(nums, null);
}

/** `e.objs`, created on first use. */
export function objsOf(e: Entity, layout: TableLayout): unknown[] {
  return (e.objs ??= new Array<unknown>(layout.objCount));
}
