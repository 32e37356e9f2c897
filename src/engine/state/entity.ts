import type { GroupLayout, TableLayout } from "./layout.ts";
import { LAST_SEEN, LIFETIME_BASE, OBJ_SLOT, RING_CAP, RING_HEAD, RING_LEN, RING_OLDEST } from "./layout.ts";

/**
 * An entity's state is ONE plain JS array of doubles, `nums`, laid out by the table's layout
 * (layout.ts): [lastSeen, objSlot | lifetime row | hot rows | ring headers | rings]. V8 keeps it
 * unboxed (8 B per number plus a 48 B header, where a Float64Array costs ~200 B of wrappers), and
 * the table's map holds it directly, so an event reaches its numbers in two hops (map entry, array).
 *
 * Object states (features without a slot form: sketches beyond their inline numbers, buffers, …)
 * live in an `objs` array held by the table's ObjectPool at index nums[OBJ_SLOT]: lifetime and
 * hot-row states, and per windowed group a side array for its ring rows (bucket-ring.ts). Most
 * tables never need one.
 *
 * Code that changes an entity works on an Entity cursor: its arrays, which ring growth may replace
 * (the caller stores `nums` back when it changed).
 */
export class Entity {
  nums: number[];
  objs: unknown[] | null;

  constructor(nums: number[], objs: unknown[] | null) {
    this.nums = nums;
    this.objs = objs;
  }
}

/** The `objs` arrays of a table's entities, by slot; freed slots are reused. */
export class ObjectPool {
  private readonly slots: (unknown[] | undefined)[] = [];
  private readonly free: number[] = [];

  /** The objs of an entity (null when it has none). */
  of(nums: readonly number[]): unknown[] | null {
    const slot = nums[OBJ_SLOT]!;
    return slot === slot ? this.slots[slot]! : null;
  }

  /** Gives the entity `objs` (it had none) and records the slot in it. */
  attach(nums: number[], objs: unknown[]): void {
    const slot = this.free.pop() ?? this.slots.length;
    this.slots[slot] = objs;
    nums[OBJ_SLOT] = slot;
  }

  /** Frees the entity's slot (it is being dropped). */
  release(nums: readonly number[]): void {
    const slot = nums[OBJ_SLOT]!;
    if (slot !== slot) return;
    this.slots[slot] = undefined;
    this.free.push(slot);
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
 * region, of a row's bucket index and of the object slot.
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

/** A fresh entity's numbers, last event at `now`: empty lifetime row, no buckets, empty rings. */
export function newNums(layout: TableLayout, now: number): number[] {
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
  return nums;
}
