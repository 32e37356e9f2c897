import type { Registry } from "../registry/index.ts";
import type { DedupeCache } from "../state/dedupe.ts";
import type { Inheritance } from "../state/layout.ts";
import type { TableState } from "../state/table-state.ts";
import type { ChunkReader } from "./chunk-reader.ts";
import type { ChunkWriter } from "./chunk-writer.ts";
import { RECORD_HEADER } from "./format.ts";
import { inheritanceOf, layoutSignature } from "./layout-identity.ts";
import { snapshotError } from "../../errors/snapshot-fields.ts";
import { readValue, writeValue } from "./value-codec.ts";

/**
 * The HEADER record: everything but entities and dedupe entries, captured whole when the snapshot
 * begins (it is small, and only registrations, resets and workspace changes touch it, see
 * engine-snapshot.ts). Registries go as their accepted raw nodes plus version: recompiling them
 * gives the same registry, so the next registration diffs, versions and forces exactly as on the
 * original engine.
 */

/** What a snapshot captures, as the engine hands it over. */
export interface SnapshotSubject {
  readonly defaultWorkspace: string;
  readonly retiredColdEvictions: number;
  readonly workspaces: readonly SnapshotWorkspace[];
}

export interface SnapshotWorkspace {
  readonly name: string;
  readonly live: boolean;
  readonly registry: Registry;
  readonly tables: ReadonlyMap<string, TableState>;
  readonly dedupe: DedupeCache;
}

export interface HeaderTable {
  readonly name: string;
  readonly inheritance: Inheritance;
  readonly signature: string;
  readonly watermark: number;
  readonly coldEvictions: number;
  /** How many entities the snapshot holds for the table. */
  readonly entities: number;
}

export interface HeaderWorkspace {
  readonly name: string;
  readonly live: boolean;
  readonly version: number;
  readonly nodes: readonly unknown[];
  readonly tables: readonly HeaderTable[];
  readonly dedupeEntries: number;
}

export interface Header {
  readonly defaultWorkspace: string;
  readonly retiredColdEvictions: number;
  readonly workspaces: readonly HeaderWorkspace[];
}

export function writeHeader(w: ChunkWriter, s: SnapshotSubject): void {
  w.u8(RECORD_HEADER);
  w.string(s.defaultWorkspace);
  w.f64(s.retiredColdEvictions);
  w.varuint(s.workspaces.length);
  for (const ws of s.workspaces) {
    w.string(ws.name);
    w.u8(ws.live ? 1 : 0);
    w.varuint(ws.registry.version);
    writeValue(w, ws.registry.nodes);
    w.varuint(ws.tables.size);
    for (const t of ws.tables.values()) {
      w.string(t.name);
      const { generation, accOf } = inheritanceOf(t.layout);
      w.varuint(generation);
      w.varuint(accOf.size);
      for (const [feature, acc] of accOf) {
        w.varuint(feature);
        w.string(acc.id);
        w.varuint(acc.kind);
      }
      w.string(layoutSignature(t.layout));
      w.f64(t.watermark);
      w.f64(t.coldEvictions);
      w.varuint(t.size);
    }
    w.varuint(ws.dedupe.size);
  }
  w.endRecord();
}

/** Reads the HEADER record (its tag already read). */
export function readHeader(r: ChunkReader): Header {
  const defaultWorkspace = r.string();
  const retiredColdEvictions = r.f64();
  const workspaces: HeaderWorkspace[] = [];
  for (let i = r.count(4); i > 0; i--) {
    const name = r.string();
    const live = r.u8();
    if (live > 1) throw snapshotError(`workspace ${JSON.stringify(name)}: bad live flag`);
    const version = r.varuint();
    const nodes = readValue(r);
    if (!Array.isArray(nodes)) throw snapshotError(`workspace ${JSON.stringify(name)}: registry nodes are not an array`);
    const tables: HeaderTable[] = [];
    for (let j = r.count(8); j > 0; j--) {
      const table = r.string();
      const generation = r.varuint();
      const accOf = new Map<number, { id: string; kind: number }>();
      for (let k = r.count(3); k > 0; k--) {
        const feature = r.varuint();
        const id = r.string();
        accOf.set(feature, { id, kind: r.varuint() });
      }
      tables.push({ name: table, inheritance: { generation, accOf }, signature: r.string(), watermark: r.f64(), coldEvictions: r.f64(), entities: r.varuint() });
    }
    workspaces.push({ name, live: live === 1, version, nodes, tables, dedupeEntries: r.varuint() });
  }
  return { defaultWorkspace, retiredColdEvictions, workspaces };
}
