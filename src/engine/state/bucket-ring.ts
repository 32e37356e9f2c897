import { continuousMinLive } from "../aggregate/window.ts";
import type { Entity } from "./entity.ts";
import { initRow, newDoubles } from "./entity.ts";
import type { GroupLayout, TableLayout } from "./layout.ts";
import { CONTINUOUS, LIFETIME, RING_CAP, RING_HEAD, RING_LEN, RING_OLDEST } from "./layout.ts";

/**
 * A windowed group's buckets in an entity (layout in layout.ts / entity.ts). One set of buckets
 * serves every feature of the window, so bucket bookkeeping is paid once per window, not per feature.
 *
 * - The hot row (at g.row) is the newest bucket; its index is NaN before the window's first event.
 * - Older buckets are in the ring: a circular buffer of rows in ascending bucket order from `head`,
 *   all older than the hot row, `cap` rows allocated (0 for a new entity) and at most
 *   maxBuckets − 1. The header keeps the oldest row's index, so moving the hot row into the ring
 *   (once per bucket per entity; for quiet entities, on most events) only writes ring memory,
 *   which is rarely in cache.
 * - A full ring grows by half (2, 3, 4, 6, 9, …), which keeps spare rows under a third. Growing
 *   reallocates the entity's whole array, so the runtime grows every ring an event will need in
 *   one go (growRings) before applying it.
 * - Object states: the hot row's at objs[g.objBase + j]; ring rows' in the side array
 *   objs[g.objBase + g.objs.length] (created when first needed), `objs.length` states per row at
 *   the ring's physical row positions.
 *
 * A bucket is dropped once no read can include it (index < minLive) or, when the ring cannot grow,
 * the oldest goes first, so at most maxBuckets are kept, as the newest ones.
 */

/** Offset in nums where group gi's ring rows start (rings follow each other in group order). */
export function ringStart(a: readonly number[], L: TableLayout, gi: number): number {
  const groups = L.groups;
  let r = L.ringsBase;
  for (let i = 1; i < gi; i++) r += a[groups[i]!.header + RING_CAP]! * groups[i]!.rowWidth;
  return r;
}

/** Physical row position of logical ring position i (0 = oldest). */
function phys(head: number, i: number, cap: number): number {
  const p = head + i;
  return p >= cap ? p - cap : p;
}

/** The ring capacity after `cap` when full. */
export function nextCap(g: GroupLayout, cap: number): number {
  return Math.min(g.maxBuckets - 1, Math.max(2, cap + (cap >> 1)));
}

/** The lowest bucket index any read can still include once a bucket `idx` event at `now` exists. */
export function minLiveOf(g: GroupLayout, now: number, idx: number): number {
  // Tiles older than the current window's first tile can never be read again (ends only advance).
  return g.kind === CONTINUOUS ? continuousMinLive(now, g.windowMs, g.width) : idx - g.tiles;
}

/**
 * Whether moving group g's hot row into its ring for a new bucket at `minLive` needs a larger ring
 * (hot-path.ts compiles the same condition):
 * the hot row is still live, the ring is full, nothing in it expires, and it may still grow.
 */
export function needsRoom(a: readonly number[], g: GroupLayout, minLive: number): boolean {
  const h = g.header;
  const cap = a[h + RING_CAP]!;
  return a[h + RING_LEN] === cap && cap < g.maxBuckets - 1 && a[g.row]! >= minLive && !(a[h + RING_OLDEST]! < minLive);
}

/**
 * The offset in `e.nums` of the row of bucket `idx` of group gi (created empty when missing), or
 * -1 when the bucket would be older than every bucket a full ring keeps (a clock that stepped back
 * by more than the window): the event is then not counted in this window. Buckets below `minLive`
 * can no longer be read and are dropped on the way. May reallocate `e.nums` and `e.objs` entries.
 */
export function bucketRow(e: Entity, L: TableLayout, gi: number, idx: number, minLive: number): number {
  const g = L.groups[gi]!;
  const hot = e.nums[g.row]!;
  if (hot === idx) return g.row;
  // A newer bucket (or the window's first): the hot row moves to the ring.
  if (!(idx < hot)) {
    rotate(e, L, gi, g, idx, minLive);
    return g.row;
  }
  return olderRow(e, L, gi, g, idx, minLive);
}

/** The hot row (and its object states) moves into the ring for bucket idx; hot-path.ts compiles the same steps. */
function rotate(e: Entity, L: TableLayout, gi: number, g: GroupLayout, idx: number, minLive: number): void {
  let a = e.nums;
  const hot = a[g.row]!;
  const h = g.header;
  if (hot === hot) {
    if (a[h + RING_OLDEST]! < minLive) dropExpired(e, L, gi, g, minLive);
    if (hot >= minLive) {
      let len = a[h + RING_LEN]!;
      if (len === a[h + RING_CAP]) {
        makeRoom(e, L, gi, g);
        a = e.nums;
        len = a[h + RING_LEN]!;
      }
      const p = phys(a[h + RING_HEAD]!, len, a[h + RING_CAP]!);
      a[h + RING_LEN] = len + 1;
      if (len === 0) a[h + RING_OLDEST] = hot;
      const r = ringStart(a, L, gi) + p * g.rowWidth;
      for (let k = 0; k < g.rowWidth; k++) a[r + k] = a[g.row + k]!;
      if (g.objBase >= 0) moveHotObjs(e, g, p);
    } else if (g.objBase >= 0) {
      clearHotObjs(e, g);
    }
  }
  initRow(a, g.row, g);
  a[g.row] = idx;
}

/** An out-of-order bucket (older than the hot row): found in the ring, or inserted in order. */
function olderRow(e: Entity, L: TableLayout, gi: number, g: GroupLayout, idx: number, minLive: number): number {
  let a = e.nums;
  const h = g.header;
  let start = ringStart(a, L, gi);
  const w = g.rowWidth;
  for (let i = a[h + RING_LEN]! - 1; i >= 0; i--) {
    const r = start + phys(a[h + RING_HEAD]!, i, a[h + RING_CAP]!) * w;
    if (a[r] === idx) return r;
    if (a[r]! < idx) break;
  }
  dropExpired(e, L, gi, g, minLive);
  // Full at the maximum: the newest maxBuckets are kept, so an older bucket than all of them is not.
  if (a[h + RING_LEN] === g.maxBuckets - 1 && idx < a[h + RING_OLDEST]!) return -1;
  if (a[h + RING_LEN] === a[h + RING_CAP]) makeRoom(e, L, gi, g);
  a = e.nums;
  const len = a[h + RING_LEN]!;
  let p = phys(a[h + RING_HEAD]!, len, a[h + RING_CAP]!);
  a[h + RING_LEN] = len + 1;
  start = ringStart(a, L, gi);
  let r = start + p * w;
  initRow(a, r, g);
  a[r] = idx;
  // Move the new row down to its place.
  const head = a[h + RING_HEAD]!;
  const cap = a[h + RING_CAP]!;
  for (let i = a[h + RING_LEN]! - 1; i > 0; i--) {
    const q = phys(head, i - 1, cap);
    const rq = start + q * w;
    if (a[rq]! < idx) break;
    swapRows(e, g, a, r, rq, p, q);
    p = q;
    r = rq;
  }
  a[h + RING_OLDEST] = a[start + head * w]!;
  return r;
}

/** Drops ring rows below minLive (oldest first); hot-path.ts compiles the same loop. */
function dropExpired(e: Entity, L: TableLayout, gi: number, g: GroupLayout, minLive: number): void {
  const a = e.nums;
  const h = g.header;
  if (!(a[h + RING_OLDEST]! < minLive)) return;
  const clear = g.objBase >= 0;
  const cap = a[h + RING_CAP]!;
  let head = a[h + RING_HEAD]!;
  let len = a[h + RING_LEN]!;
  const start = ringStart(a, L, gi);
  let oldest = a[h + RING_OLDEST]!;
  while (len > 0 && oldest < minLive) {
    if (clear) clearSide(e, g, head);
    head = head + 1 === cap ? 0 : head + 1;
    len--;
    oldest = len > 0 ? a[start + head * g.rowWidth]! : NaN;
  }
  a[h + RING_HEAD] = len === 0 ? 0 : head;
  a[h + RING_LEN] = len;
  a[h + RING_OLDEST] = oldest;
}

/** Makes room in a full ring for one more row: grows it, or at the maximum drops the oldest row. */
function makeRoom(e: Entity, L: TableLayout, gi: number, g: GroupLayout): void {
  const a = e.nums;
  const h = g.header;
  const cap = a[h + RING_CAP]!;
  if (cap < g.maxBuckets - 1) {
    growRing(e, L, gi, nextCap(g, cap));
    return;
  }
  let head = a[h + RING_HEAD]!;
  clearSide(e, g, head);
  head = head + 1 === cap ? 0 : head + 1;
  const len = a[h + RING_LEN]! - 1;
  a[h + RING_HEAD] = head;
  a[h + RING_LEN] = len;
  a[h + RING_OLDEST] = len > 0 ? a[ringStart(a, L, gi) + head * g.rowWidth]! : NaN;
}

function growRing(e: Entity, L: TableLayout, gi: number, cap: number): void {
  const caps = new Float64Array(L.groups.length);
  caps[gi] = cap;
  growRings(e, L, caps);
}

/**
 * Reallocates `e.nums` once with each group gi's ring enlarged to `caps[gi]` rows (0: unchanged).
 * Enlarged rings are laid out from position 0; their side arrays grow alike.
 */
export function growRings(e: Entity, L: TableLayout, caps: Float64Array): void {
  // Header numbers are small integers kept as doubles: `| 0` lets the copy loops index with int32
  // arithmetic (callgrind, 12-feature table at 100k keys: 588 → 532 instructions per event here).
  const a = e.nums;
  const groups = L.groups;
  const base = L.ringsBase;
  let size = base;
  for (let gi = 1; gi < groups.length; gi++) {
    const g = groups[gi]!;
    const oldCap = a[g.header + RING_CAP]! | 0;
    const cap = caps[gi]! | 0;
    size += (cap > oldCap ? cap : oldCap) * g.rowWidth;
  }
  const b = newDoubles(size);
  for (let i = 0; i < base; i++) b[i] = a[i]!;
  let from = base;
  let to = base;
  for (let gi = 1; gi < groups.length; gi++) {
    const g = groups[gi]!;
    const w = g.rowWidth;
    const h = g.header;
    const oldCap = a[h + RING_CAP]! | 0;
    const want = caps[gi]! | 0;
    const cap = want > oldCap ? want : oldCap;
    if (cap === oldCap) {
      const n = oldCap * w;
      for (let i = 0; i < n; i++) b[to + i] = a[from + i]!;
    } else {
      const head = a[h + RING_HEAD]! | 0;
      const len = a[h + RING_LEN]! | 0;
      for (let i = 0; i < len; i++) {
        const src = from + phys(head, i, oldCap) * w;
        const dst = to + i * w;
        for (let k = 0; k < w; k++) b[dst + k] = a[src + k]!;
      }
      b[h + RING_CAP] = cap;
      b[h + RING_HEAD] = 0;
      growSide(e, g, head, len, oldCap, cap);
    }
    from += oldCap * w;
    to += cap * w;
  }
  e.nums = b;
}

function growSide(e: Entity, g: GroupLayout, head: number, len: number, oldCap: number, cap: number): void {
  const side = sideOf(e, g);
  if (side === undefined) return;
  const n = g.objs.length;
  const grown = new Array<unknown>(cap * n);
  for (let i = 0; i < len; i++) {
    const from = phys(head, i, oldCap) * n;
    for (let j = 0; j < n; j++) grown[i * n + j] = side[from + j];
  }
  e.objs![g.objBase + n] = grown;
}

/** The ring's side array of object states, or undefined while none was needed. */
export function sideOf(e: Entity, g: GroupLayout): unknown[] | undefined {
  if (g.objBase < 0 || e.objs === null || g.kind === LIFETIME) return undefined;
  return e.objs[g.objBase + g.objs.length] as unknown[] | undefined;
}

/** Frees the object states of ring row p (the row is dropped). */
export function clearSide(e: Entity, g: GroupLayout, p: number): void {
  const side = sideOf(e, g);
  if (side === undefined) return;
  const n = g.objs.length;
  for (let j = 0; j < n; j++) side[p * n + j] = undefined;
}

/** Frees the hot row's object states (its bucket is left behind unread). */
export function clearHotObjs(e: Entity, g: GroupLayout): void {
  if (g.objBase < 0 || e.objs === null) return;
  for (let j = 0; j < g.objs.length; j++) e.objs[g.objBase + j] = undefined;
}

/** Moves the hot row's object states to ring position p. */
export function moveHotObjs(e: Entity, g: GroupLayout, p: number): void {
  if (g.objBase < 0 || e.objs === null) return;
  const objs = e.objs;
  const n = g.objs.length;
  let side = objs[g.objBase + n] as unknown[] | undefined;
  for (let j = 0; j < n; j++) {
    const s = objs[g.objBase + j];
    if (s !== undefined) {
      side ??= objs[g.objBase + n] = new Array<unknown>(e.nums[g.header + RING_CAP]! * n);
      objs[g.objBase + j] = undefined;
    }
    if (side !== undefined) side[p * n + j] = s;
  }
}

function swapRows(e: Entity, g: GroupLayout, a: number[], r1: number, r2: number, p1: number, p2: number): void {
  for (let k = 0; k < g.rowWidth; k++) {
    const t = a[r1 + k]!;
    a[r1 + k] = a[r2 + k]!;
    a[r2 + k] = t;
  }
  const side = sideOf(e, g);
  if (side === undefined) return;
  const n = g.objs.length;
  for (let j = 0; j < n; j++) {
    const t = side[p1 * n + j];
    side[p1 * n + j] = side[p2 * n + j];
    side[p2 * n + j] = t;
  }
}

/**
 * The logical ring positions [first, end) of the rows with lo <= index < hi (rows are sorted),
 * packed as first + end * 2^16 so reads allocate nothing (positions are below 2^15: MAX_TILES).
 */
export function liveRange(a: readonly number[], g: GroupLayout, start: number, lo: number, hi: number): number {
  const w = g.rowWidth;
  const cap = a[g.header + RING_CAP]!;
  const head = a[g.header + RING_HEAD]!;
  const len = a[g.header + RING_LEN]!;
  let first = 0;
  while (first < len && a[start + phys(head, first, cap) * w]! < lo) first++;
  let end = len;
  while (end > first && a[start + phys(head, end - 1, cap) * w]! >= hi) end--;
  return first + end * 65536;
}

/** Physical row position (side array row) of logical ring position i. */
export function physAt(a: readonly number[], g: GroupLayout, i: number): number {
  return phys(a[g.header + RING_HEAD]!, i, a[g.header + RING_CAP]!);
}
