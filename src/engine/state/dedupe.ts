import type { Value } from "../types.ts";

interface DedupeEntry {
  /** The ack (LSN) of the push that was applied. */
  readonly ack: number;
  /** Processing time at which the entry lapses (first push + dedupe_window_ms). */
  readonly expiresAt: number;
}

/** Where a snapshot writes dedupe entries (snapshot/engine-snapshot.ts), per event in order. */
export interface DedupeSink {
  dedupe(event: string, key: string, ack: number, expiresAt: number): void;
}

/**
 * An event's entries during a snapshot: `frozen`, the generations it had when the snapshot began
 * (oldest first), are written in order and each written entry moves to `done`, a generation older
 * than all of them. So the snapshot holds them in their original order, and `done` + the rest keep
 * the expiry order sweeps rely on.
 */
interface FrozenEvent {
  readonly done: Map<string, DedupeEntry>;
  readonly frozen: Map<string, DedupeEntry>[];
  /** The pass over frozen[0]. */
  pass: Iterator<[string, DedupeEntry]> | null;
}

/**
 * Push dedupe (beava §4.4) for one workspace: (event, dedupe key value) → the original ack, for
 * `dedupe_window_ms` from the first push. Expiry is lazy on lookup, plus `sweep`.
 *
 * An event's entries live in Maps ("generations"), oldest first; a key is in at most one of them,
 * and a push that records a key again moves it to the newest. An event has a single window, so
 * while the clock moves forward the generations in order are in expiry order and a sweep stops at
 * the first live entry. There is one generation per event except around snapshots (`freeze`), which
 * leave an older one behind until it expires.
 */
export class DedupeCache {
  private readonly byEvent = new Map<string, Map<string, DedupeEntry>[]>();
  /** Copy-on-write state of a snapshot in progress, per frozen event. */
  private frozen: Map<string, FrozenEvent> | null = null;
  private sink: DedupeSink | null = null;

  /** The cache key of a dedupe value: typed, so 1 and "1" differ. */
  static keyOf(value: Value): string {
    return JSON.stringify(value);
  }

  /** The original ack when (event, key) was applied within its window before `now`. */
  lookup(event: string, key: string, now: number): number | undefined {
    const gens = this.byEvent.get(event);
    if (gens === undefined) return undefined;
    for (let i = gens.length - 1; i >= 0; i--) {
      const e = gens[i]!.get(key);
      if (e !== undefined) return now < e.expiresAt ? e.ack : undefined;
    }
    return undefined;
  }

  record(event: string, key: string, ack: number, now: number, windowMs: number): void {
    const gens = this.gensOf(event);
    const last = gens.length - 1;
    for (let i = 0; i < last; i++) {
      if (gens[i]!.has(key)) {
        this.remove(event, gens[i]!, key);
        break;
      }
    }
    const live = gens[last]!;
    live.delete(key);
    live.set(key, { ack, expiresAt: now + windowMs });
  }

  /** Deletes `key` from generation `gen`; a frozen entry is written to the snapshot first. */
  private remove(event: string, gen: Map<string, DedupeEntry>, key: string): void {
    const fe = this.frozen?.get(event);
    if (fe !== undefined && fe.frozen.includes(gen)) {
      // Written in order up to it (the ones before it are the oldest, usually expired as well): the
      // snapshot keeps the original order, and the entry lands in `done`.
      let k: string | undefined;
      do k = this.writeNext(event, fe);
      while (k !== key && k !== undefined);
      fe.done.delete(key);
      return;
    }
    gen.delete(key);
  }

  /** Forgets an event's entries (its dedupe settings changed or it was removed). Not while frozen. */
  dropEvent(event: string): void {
    this.byEvent.delete(event);
  }

  /** Not while frozen. */
  clear(): void {
    this.byEvent.clear();
  }

  get size(): number {
    let n = 0;
    for (const gens of this.byEvent.values()) for (const m of gens) n += m.size;
    return n;
  }

  /** Removes expired entries; returns how many. */
  sweep(now: number): number {
    let n = 0;
    for (const [event, gens] of this.byEvent) {
      sweepGens: for (const m of gens) {
        for (const [k, e] of m) {
          if (now < e.expiresAt) break sweepGens;
          this.remove(event, m, k);
          n++;
        }
      }
      this.prune(event, gens);
    }
    return n;
  }

  /** Drops empty generations except the newest, and the event once it holds nothing (not while frozen). */
  private prune(event: string, gens: Map<string, DedupeEntry>[]): void {
    if (this.frozen?.has(event) === true) return;
    if (gens.length > 1) {
      let kept = 0;
      for (let i = 0; i < gens.length; i++) if (gens[i]!.size > 0 || i === gens.length - 1) gens[kept++] = gens[i]!;
      gens.length = kept;
    }
    if (gens.length === 1 && gens[0]!.size === 0) this.byEvent.delete(event);
  }

  // Snapshots (snapshot/engine-snapshot.ts).

  /** Starts copy-on-write: every entry that exists now will be written to `sink` exactly once, in order. */
  freeze(sink: DedupeSink): void {
    const frozen = new Map<string, FrozenEvent>();
    for (const [event, gens] of this.byEvent) {
      const done = new Map<string, DedupeEntry>();
      frozen.set(event, { done, frozen: gens.slice(), pass: null });
      gens.unshift(done);
      gens.push(new Map());
    }
    this.frozen = frozen;
    this.sink = sink;
  }

  /** Writes one more frozen entry; false once none is left (copy-on-write is over). */
  writeNextFrozen(): boolean {
    const frozen = this.frozen;
    if (frozen === null) return false;
    for (const [event, fe] of frozen) {
      if (this.writeNext(event, fe) !== undefined) return true;
    }
    this.thawAll();
    return false;
  }

  /**
   * Writes the next frozen entry of `event` and moves it to `done`; returns its key, or undefined
   * (and the event is no longer frozen) when none is left.
   */
  private writeNext(event: string, fe: FrozenEvent): string | undefined {
    for (;;) {
      const gen = fe.frozen[0];
      if (gen === undefined) {
        this.frozen!.delete(event);
        this.prune(event, this.byEvent.get(event)!);
        return undefined;
      }
      fe.pass ??= gen.entries();
      const r = fe.pass.next();
      if (r.done === true) {
        fe.frozen.shift();
        fe.pass = null;
        continue;
      }
      const [k, e] = r.value;
      this.sink!.dedupe(event, k, e.ack, e.expiresAt);
      gen.delete(k);
      fe.done.set(k, e);
      return k;
    }
  }

  /** Ends copy-on-write without writing the rest (an aborted snapshot); the generations stay valid. */
  thawAll(): void {
    const frozen = this.frozen;
    if (frozen === null) return;
    this.frozen = null;
    this.sink = null;
    for (const event of frozen.keys()) this.prune(event, this.byEvent.get(event)!);
  }

  /** Appends a restored entry (snapshot/restore.ts); entries come in their original order. */
  load(event: string, key: string, ack: number, expiresAt: number): void {
    this.gensOf(event)[0]!.set(key, { ack, expiresAt });
  }

  /** The generations of `event`, created (one, empty) on first use. */
  private gensOf(event: string): Map<string, DedupeEntry>[] {
    let gens = this.byEvent.get(event);
    if (gens === undefined) {
      gens = [new Map()];
      this.byEvent.set(event, gens);
    }
    return gens;
  }
}
