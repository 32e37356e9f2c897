import type { Value } from "../types.ts";

interface DedupeEntry {
  /** The ack (LSN) of the push that was applied. */
  readonly ack: number;
  /** Processing time at which the entry lapses (first push + dedupe_window_ms). */
  readonly expiresAt: number;
}

/**
 * Push dedupe (beava §4.4) for one workspace: (event, dedupe key value) → the original ack, for
 * `dedupe_window_ms` from the first push. Expiry is lazy on lookup, plus `sweep`.
 *
 * Entries live in one Map per event. An event has a single window, so while the clock moves forward
 * each Map is in expiry order and a sweep stops at the first live entry; an expired key that is
 * pushed again is deleted and re-inserted to keep that order.
 */
export class DedupeCache {
  private readonly byEvent = new Map<string, Map<string, DedupeEntry>>();

  /** The cache key of a dedupe value: typed, so 1 and "1" differ. */
  static keyOf(value: Value): string {
    return JSON.stringify(value);
  }

  /** The original ack when (event, key) was applied within its window before `now`. */
  lookup(event: string, key: string, now: number): number | undefined {
    const e = this.byEvent.get(event)?.get(key);
    return e !== undefined && now < e.expiresAt ? e.ack : undefined;
  }

  record(event: string, key: string, ack: number, now: number, windowMs: number): void {
    let m = this.byEvent.get(event);
    if (m === undefined) {
      m = new Map();
      this.byEvent.set(event, m);
    }
    m.delete(key);
    m.set(key, { ack, expiresAt: now + windowMs });
  }

  /** Forgets an event's entries (its dedupe settings changed or it was removed). */
  dropEvent(event: string): void {
    this.byEvent.delete(event);
  }

  clear(): void {
    this.byEvent.clear();
  }

  get size(): number {
    let n = 0;
    for (const m of this.byEvent.values()) n += m.size;
    return n;
  }

  /** Removes expired entries; returns how many. */
  sweep(now: number): number {
    let n = 0;
    for (const [event, m] of this.byEvent) {
      for (const [k, e] of m) {
        if (now < e.expiresAt) break;
        m.delete(k);
        n++;
      }
      if (m.size === 0) this.byEvent.delete(event);
    }
    return n;
  }

  /** Plain-data form for snapshots: [event, [[key, ack, expiresAt], ...]][] in insertion order. */
  export(): [string, [string, number, number][]][] {
    return [...this.byEvent].map(([event, m]) => [event, [...m].map(([k, e]) => [k, e.ack, e.expiresAt])]);
  }

  static import(data: readonly (readonly [string, readonly (readonly [string, number, number])[]])[]): DedupeCache {
    const c = new DedupeCache();
    for (const [event, entries] of data) c.byEvent.set(event, new Map(entries.map(([k, ack, expiresAt]) => [k, { ack, expiresAt }])));
    return c;
  }
}
