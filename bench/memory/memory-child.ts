/**
 * Bytes per entity of one pack at one size, measured in a process of its own (run by memory.ts with
 * --expose-gc, one child per measurement so no heap is shared with anything else):
 *
 *   1. floor: for every table of the pack, a Map from the same key strings to an array of one number
 *      per feature (the least any per-entity store holds); heap delta after GC, then dropped;
 *   2. engine: a fresh Engine with the pack registered; every entity gets `waves` rounds of one event
 *      per event kind (pack.entityEvents), the rounds 1 h apart so windows hold more than one bucket;
 *      heap delta after GC.
 *
 * "Heap" is heapUsed + arrayBuffers (typed arrays above 64 B keep their bytes off the V8 heap and are
 * state too). Events are generated on the fly and dropped, so only state is counted.
 *
 * argv: <pack> <entities> [waves]. Prints one JSON line (MemoryChildResult) on stdout.
 */
import { Engine } from "../../src/engine/index.ts";
import { rng } from "../lib/random.ts";
import { PACKS, type PackId } from "../suite/packs.ts";

export interface MemoryChildResult {
  readonly pack: string;
  readonly entities: number;
  readonly waves: number;
  readonly features: number;
  /** Rows across the pack's tables (engine stats). */
  readonly tableRows: number;
  readonly events: number;
  readonly engineBytes: number;
  readonly floorBytes: number;
  readonly floorRows: number;
  readonly buildMs: number;
}

const gc = (globalThis as { gc?: () => void }).gc;
if (gc === undefined) throw new Error("run with --expose-gc");

const T0 = 1_700_000_000_000;
const WAVE_MS = 3_600_000;

function heapBytes(): number {
  gc!();
  gc!();
  const m = process.memoryUsage();
  return m.heapUsed + m.arrayBuffers;
}

const [packArg, entitiesArg, wavesArg] = process.argv.slice(2);
if (packArg === undefined || !(packArg in PACKS)) throw new Error(`pack must be one of ${Object.keys(PACKS).join(", ")}, got ${packArg}`);
const pack = PACKS[packArg as PackId];
const entities = Number(entitiesArg);
if (!Number.isInteger(entities) || entities <= 0) throw new Error(`entities must be a positive integer, got ${entitiesArg}`);
const waves = wavesArg === undefined ? 2 : Number(wavesArg);

/** The floor: per table, key → one number per feature. */
function floor(): { bytes: number; rows: number } {
  const before = heapBytes();
  const maps = pack.tables.map((t) => ({ key: t.key, width: t.features.length, map: new Map<string, number[]>() }));
  const r = rng(11);
  for (let i = 0; i < entities; i++) {
    for (const e of pack.entityEvents(i, entities, r)) {
      for (const m of maps) {
        const k = e.data[m.key];
        if (k === undefined || m.map.has(String(k))) continue;
        m.map.set(String(k), Array.from({ length: m.width }, (_v, j) => j + 0.5));
      }
    }
  }
  const after = heapBytes();
  const rows = maps.reduce((s, m) => s + m.map.size, 0);
  return { bytes: after - before, rows };
}

function engine(): { bytes: number; rows: number; events: number; ms: number } {
  const before = heapBytes();
  const t0 = performance.now();
  const e = new Engine();
  const plan = e.planRegister("prod", pack.registerBody());
  if (plan.kind !== "apply") throw new Error(`registration did not apply: ${JSON.stringify(plan).slice(0, 300)}`);
  e.applyRegister("prod", plan);
  const r = rng(11);
  let lsn = 0;
  for (let w = 0; w < waves; w++) {
    for (let i = 0; i < entities; i++) {
      const now = T0 + w * WAVE_MS + (i % 1000) * 37;
      for (const ev of pack.entityEvents(i, entities, r)) {
        const p = e.preparePush("prod", ev.event, ev.data, now);
        if (p.kind === "apply") e.applyPush(p.command, ++lsn, now);
      }
    }
  }
  const ms = performance.now() - t0;
  const after = heapBytes();
  const rows = e.stats().entities;
  return { bytes: after - before, rows, events: lsn, ms };
}

const f = floor();
const x = engine();
const result: MemoryChildResult = {
  pack: pack.id,
  entities,
  waves,
  features: pack.features,
  tableRows: x.rows,
  events: x.events,
  engineBytes: x.bytes,
  floorBytes: f.bytes,
  floorRows: f.rows,
  buildMs: Math.round(x.ms),
};
process.stdout.write(`${JSON.stringify(result)}\n`);
