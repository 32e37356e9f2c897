import { TesseraError } from "../../errors/tessera-error.ts";
import { compileRegistry } from "../registry/index.ts";
import type { Registry } from "../registry/index.ts";
import { DedupeCache } from "../state/dedupe.ts";
import { TableState } from "../state/table-state.ts";
import { ChunkReader } from "./chunk-reader.ts";
import { readEntity } from "./entity-record.ts";
import { RECORD_DEDUPE, RECORD_END, RECORD_ENTITIES, RECORD_HEADER } from "./format.ts";
import { readHeader } from "./header-record.ts";
import type { Header } from "./header-record.ts";
import { layoutSignature } from "./layout-identity.ts";
import { isSnapshotError, snapshotError } from "../../errors/snapshot-fields.ts";

export interface RestoredWorkspace {
  readonly name: string;
  readonly live: boolean;
  readonly registry: Registry;
  /** In the original engine's order. */
  readonly tables: Map<string, TableState>;
  readonly dedupe: DedupeCache;
}

export interface RestoredState {
  readonly defaultWorkspace: string;
  readonly retiredColdEvictions: number;
  readonly workspaces: readonly RestoredWorkspace[];
}

/**
 * Decodes a snapshot (chunks in order) into engine state, chunk by chunk. Throws only snapshotError
 * (TesseraError internal_error "snapshot: …"): anything else that goes wrong on a damaged or foreign
 * input, down to a registry that no longer compiles, is reported as such.
 */
export function restoreSnapshot(chunks: Iterable<Uint8Array>): RestoredState {
  try {
    return new Restore().run(chunks);
  } catch (err) {
    if (isSnapshotError(err)) throw err;
    throw snapshotError(`undecodable input (${err instanceof Error ? err.message : String(err)})`);
  }
}

class Restore {
  private header: Header | undefined;
  private workspaces: RestoredWorkspace[] = [];
  /** Per workspace, its tables in header order. */
  private tables: TableState[][] = [];
  private ended = false;

  run(chunks: Iterable<Uint8Array>): RestoredState {
    let seq = 0;
    for (const chunk of chunks) {
      if (this.ended) throw snapshotError(`chunk ${seq} follows the last chunk`);
      const r = new ChunkReader(chunk, seq++);
      while (!r.atEnd) this.record(r);
      if (r.last !== this.ended) throw snapshotError(r.last ? "the last chunk has no END record" : `chunk ${seq - 1} has the END record but is not marked last`);
    }
    if (!this.ended) throw snapshotError(seq === 0 ? "no chunks" : `truncated after chunk ${seq - 1}`);
    const h = this.header!;
    return { defaultWorkspace: h.defaultWorkspace, retiredColdEvictions: h.retiredColdEvictions, workspaces: this.workspaces };
  }

  private record(r: ChunkReader): void {
    if (this.ended) throw snapshotError("records after the END record");
    const tag = r.u8();
    if (this.header === undefined) {
      if (tag !== RECORD_HEADER) throw snapshotError("the stream does not start with a HEADER record");
      this.begin(readHeader(r));
      return;
    }
    switch (tag) {
      case RECORD_ENTITIES: {
        const ws = r.varuint();
        const table = this.tables[ws]?.[r.varuint()];
        if (table === undefined) throw snapshotError("ENTITIES record of an unknown table");
        const layout = table.layout;
        for (let n = r.u32(); n > 0; n--) {
          const e = readEntity(r, layout);
          if (!table.adopt(e.key, e.nums, e.objs)) throw snapshotError(`table ${JSON.stringify(table.name)}: entity ${JSON.stringify(e.key)} appears twice`);
        }
        return;
      }
      case RECORD_DEDUPE: {
        const ws = this.workspaces[r.varuint()];
        if (ws === undefined) throw snapshotError("DEDUPE record of an unknown workspace");
        const event = r.string();
        for (let n = r.u32(); n > 0; n--) {
          const key = r.string();
          ws.dedupe.load(event, key, r.f64(), r.f64());
        }
        return;
      }
      case RECORD_END:
        this.end(r.varuint(), r.varuint());
        if (!r.atEnd) throw snapshotError("bytes after the END record");
        return;
      default:
        throw snapshotError(`unexpected record tag ${tag}`);
    }
  }

  /** Rebuilds registries and empty tables with their original layouts. */
  private begin(h: Header): void {
    this.header = h;
    const names = new Set<string>();
    for (const hw of h.workspaces) {
      if (names.has(hw.name)) throw snapshotError(`workspace ${JSON.stringify(hw.name)} appears twice`);
      names.add(hw.name);
      let registry: Registry;
      try {
        registry = compileRegistry(hw.nodes, hw.version);
      } catch (err) {
        throw snapshotError(`workspace ${JSON.stringify(hw.name)}: its registry does not compile (${err instanceof TesseraError ? `${err.code}: ${err.message}` : String(err)})`);
      }
      const tables = new Map<string, TableState>();
      const list: TableState[] = [];
      for (const ht of hw.tables) {
        const compiled = registry.tables.get(ht.name);
        if (compiled === undefined || tables.has(ht.name)) throw snapshotError(`workspace ${JSON.stringify(hw.name)}: table ${JSON.stringify(ht.name)} is not in its registry or appears twice`);
        const t = new TableState(compiled, ht.inheritance);
        if (layoutSignature(t.layout) !== ht.signature) {
          throw snapshotError(`table ${JSON.stringify(ht.name)}: its layout differs from the snapshot's (written by an engine with other state layouts?)`);
        }
        t.watermark = ht.watermark;
        t.coldEvictions = ht.coldEvictions;
        tables.set(ht.name, t);
        list.push(t);
      }
      if (tables.size !== registry.tables.size) throw snapshotError(`workspace ${JSON.stringify(hw.name)}: tables of its registry are missing`);
      this.workspaces.push({ name: hw.name, live: hw.live, registry, tables, dedupe: new DedupeCache() });
      this.tables.push(list);
    }
    if (!names.has(h.defaultWorkspace)) throw snapshotError(`the default workspace ${JSON.stringify(h.defaultWorkspace)} is missing`);
  }

  /** Checks that every entity and dedupe entry the header announced arrived. */
  private end(entities: number, dedupeEntries: number): void {
    this.ended = true;
    let wantEntities = 0;
    let wantDedupe = 0;
    this.header!.workspaces.forEach((hw, i) => {
      const ws = this.workspaces[i]!;
      hw.tables.forEach((ht, j) => {
        const got = this.tables[i]![j]!.size;
        if (got !== ht.entities) throw snapshotError(`table ${JSON.stringify(ht.name)} of ${JSON.stringify(hw.name)}: ${got} entities, the header says ${ht.entities}`);
        wantEntities += got;
      });
      if (ws.dedupe.size !== hw.dedupeEntries) throw snapshotError(`workspace ${JSON.stringify(hw.name)}: ${ws.dedupe.size} dedupe entries, the header says ${hw.dedupeEntries}`);
      wantDedupe += hw.dedupeEntries;
    });
    if (entities !== wantEntities || dedupeEntries !== wantDedupe) throw snapshotError("the END record's totals do not match");
  }
}
