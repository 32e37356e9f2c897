import { TesseraError } from "../../errors/tessera-error.ts";
import { ChunkWriter } from "./chunk-writer.ts";
import { writeEntity } from "./entity-record.ts";
import { CHUNK_TARGET_BYTES, RECORD_DEDUPE, RECORD_END, RECORD_ENTITIES } from "./format.ts";
import { writeHeader } from "./header-record.ts";
import type { SnapshotSubject } from "./header-record.ts";

/** A consistent snapshot of the engine state as of `Engine.beginSnapshot()`, serialized in slices. */
export interface EngineSnapshot {
  /** Serializes roughly up to `budgetBytes` more of the state and returns the chunks produced (may be several, may be empty). */
  next(budgetBytes: number): Uint8Array[];
  /** True once every chunk has been returned. */
  readonly done: boolean;
  /** Stops it (frees the copy-on-write bookkeeping); the engine runs on unaffected. */
  abort(): void;
}

/** State that is frozen for copy-on-write: TableState and DedupeCache. */
interface FrozenSource {
  /** Writes one more frozen item; false once none is left. */
  writeNextFrozen(): boolean;
  thawAll(): void;
}

/** At most this many entities or dedupe entries per record (records are never split across chunks). */
const RECORD_MAX_ITEMS = 4096;

const COPYING = 0;
const ENDED = 1;
const ABORTED = 2;

/**
 * The snapshot in progress (README.md in this folder). Beginning it writes the header (registries,
 * table layouts, counters) and freezes every table and dedupe cache: from then on whatever would
 * change or remove an entity or entry that is not written yet writes it first, into the open chunk
 * (TableState / DedupeCache do this on their own paths). `next` writes the frozen rest in slices;
 * records of consecutive entities of one table (entries of one event) are batched.
 *
 * Whole-registry mutations call `drain` first (Engine.settleSnapshot): everything left is written
 * synchronously, and the snapshot no longer depends on the engine.
 */
export class ActiveSnapshot implements EngineSnapshot {
  private readonly w = new ChunkWriter();
  private readonly sources: FrozenSource[] = [];
  private at = 0;
  private state = COPYING;
  private returnedAll = false;
  private readonly onSettled: () => void;
  // The open ENTITIES / DEDUPE record: its kind, workspace, table index or event, and count.
  private openTag = 0;
  private openWs = -1;
  private openTable = -1;
  private openEvent = "";
  private countAt = -1;
  private count = 0;
  private entities = 0;
  private dedupeEntries = 0;

  /** Writes the header and freezes `subject`; `onSettled` runs once the engine is no longer needed. */
  constructor(subject: SnapshotSubject, onSettled: () => void) {
    this.onSettled = onSettled;
    writeHeader(this.w, subject);
    subject.workspaces.forEach((ws, wi) => {
      let ti = 0;
      for (const t of ws.tables.values()) {
        const index = ti++;
        t.freeze({ entity: (key, nums, objs) => this.entity(wi, index, key, nums, objs) });
        this.sources.push(t);
      }
    });
    subject.workspaces.forEach((ws, wi) => {
      ws.dedupe.freeze({ dedupe: (event, key, ack, expiresAt) => this.dedupe(wi, event, key, ack, expiresAt) });
      this.sources.push(ws.dedupe);
    });
  }

  get done(): boolean {
    return this.returnedAll;
  }

  next(budgetBytes: number): Uint8Array[] {
    if (this.state === ABORTED) throw new TesseraError("failed_precondition", "snapshot: next() after abort()");
    if (this.state === COPYING) {
      const stop = this.w.written + budgetBytes;
      // At least one step per call, so any budget makes progress.
      do {
        if (!this.step()) {
          this.end();
          break;
        }
      } while (this.w.written < stop);
    }
    const out = this.w.take();
    if (this.state === ENDED) this.returnedAll = true;
    return out;
  }

  abort(): void {
    if (this.state === COPYING) {
      for (const s of this.sources) s.thawAll();
      this.onSettled();
    }
    this.state = ABORTED;
    this.w.take();
  }

  /** Writes everything left now (the engine is about to change in ways copy-on-write does not cover). */
  drain(): void {
    if (this.state !== COPYING) return;
    while (this.step());
    this.end();
  }

  /**
   * Writes one more entity or dedupe entry; false once every source is written. One per step, between
   * budget checks: a step is a few calls, nothing next to writing an entity, and a small budget then
   * means a short pause.
   */
  private step(): boolean {
    while (this.at < this.sources.length) {
      if (this.sources[this.at]!.writeNextFrozen()) return true;
      this.at++;
    }
    return false;
  }

  private end(): void {
    this.close();
    this.w.u8(RECORD_END);
    this.w.varuint(this.entities);
    this.w.varuint(this.dedupeEntries);
    this.w.seal(true);
    this.state = ENDED;
    this.onSettled();
  }

  private entity(ws: number, table: number, key: string, nums: readonly number[], objs: readonly unknown[] | null): void {
    if (this.openTag !== RECORD_ENTITIES || this.openWs !== ws || this.openTable !== table) {
      this.open(RECORD_ENTITIES, ws);
      this.w.varuint(table);
      this.openTable = table;
      this.countAt = this.w.reserveU32();
    }
    writeEntity(this.w, key, nums, objs);
    this.entities++;
    this.added();
  }

  private dedupe(ws: number, event: string, key: string, ack: number, expiresAt: number): void {
    if (this.openTag !== RECORD_DEDUPE || this.openWs !== ws || this.openEvent !== event) {
      this.open(RECORD_DEDUPE, ws);
      this.w.string(event);
      this.openEvent = event;
      this.countAt = this.w.reserveU32();
    }
    this.w.string(key);
    this.w.f64(ack);
    this.w.f64(expiresAt);
    this.dedupeEntries++;
    this.added();
  }

  private open(tag: number, ws: number): void {
    this.close();
    this.w.u8(tag);
    this.w.varuint(ws);
    this.openTag = tag;
    this.openWs = ws;
    this.count = 0;
  }

  private added(): void {
    this.count++;
    if (this.count === RECORD_MAX_ITEMS || this.w.offset >= CHUNK_TARGET_BYTES) this.close();
  }

  /** Closes the open record (fills in its count); the chunk is sealed if it is full. */
  private close(): void {
    if (this.openTag === 0) return;
    this.w.patchU32(this.countAt, this.count);
    this.openTag = 0;
    this.w.endRecord();
  }
}
