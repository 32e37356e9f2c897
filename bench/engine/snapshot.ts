/**
 * Snapshot cost: serialize (beginSnapshot + next(1 MiB) until done) and restore (Engine.fromSnapshot).
 * Run:
 *   node_modules/.bin/node --expose-gc --experimental-transform-types --disable-warning=ExperimentalWarning bench/engine/snapshot.ts
 *
 * Per workload: one engine loaded with ENTITIES entities × EVENTS events each over 2 h (workloads.ts loadedEngine, as memory.ts),
 * one table of the 30-feature pack or of the 12-feature table. Per round: a full snapshot of it
 * (total time per entity, the longest single next() call, bytes), then a restore of those chunks
 * (entities/s, MB/s). Baseline in the same run, alternated round by round: msgpackr (the repository's
 * codec) packing and unpacking a Map of the same keys to copies of the entities' number arrays —
 * the same numbers without object states, ring validation or copy-on-write. Medians of ROUNDS rounds
 * after one warm-up round each; "longest next()" is the median over rounds of each round's longest
 * call (a mark-compact of the loaded heap lands in one of them).
 *
 * Env: ENTITIES (default 100000), EVENTS (per entity, default 10), ROUNDS (default 5),
 * ONLY=thirty|twelve, BUDGET (bytes per next() call, default 1 MiB).
 */
import { Packr } from "msgpackr";
import { Engine } from "../../src/engine/index.ts";
import { settle } from "./rounds.ts";
import { fmt, loadedEngine, median, T0, thirtyFeatures, twelveFeatures } from "./workloads.ts";

const ENTITIES = Number(process.env.ENTITIES ?? 100_000);
const EVENTS = Number(process.env.EVENTS ?? 10);
const ROUNDS = Number(process.env.ROUNDS ?? 5);
const BUDGET = Number(process.env.BUDGET ?? 1 << 20);
const ONLY = process.env.ONLY;

function load(agg: Record<string, unknown>): Engine {
  return loadedEngine(agg, ENTITIES, EVENTS);
}

interface Serialized {
  readonly chunks: Uint8Array[];
  readonly totalNs: number;
  /** Duration of each next() call. */
  readonly calls: number[];
  readonly bytes: number;
}

function serialize(e: Engine): Serialized {
  const chunks: Uint8Array[] = [];
  const calls: number[] = [];
  const t0 = process.hrtime.bigint();
  const s = e.beginSnapshot();
  while (!s.done) {
    const t = process.hrtime.bigint();
    chunks.push(...s.next(BUDGET));
    calls.push(Number(process.hrtime.bigint() - t));
  }
  const totalNs = Number(process.hrtime.bigint() - t0);
  return { chunks, totalNs, calls, bytes: chunks.reduce((n, c) => n + c.byteLength, 0) };
}

function restore(chunks: Uint8Array[]): number {
  const t = process.hrtime.bigint();
  const r = Engine.fromSnapshot(chunks);
  const ns = Number(process.hrtime.bigint() - t);
  if (r.stats().entities !== ENTITIES) throw new Error("restore lost entities");
  return ns;
}

/**
 * The baseline's input: a copy of every entity's numbers, by key. Read from the engine's private
 * table state (a bench may; nothing else needs this view).
 */
function numberMap(e: Engine): Map<string, number[]> {
  const internals = e as unknown as { workspaces: Map<string, { tables: Map<string, { entities: Map<string, number[]> }> }> };
  const m = new Map<string, number[]>();
  for (const [k, nums] of internals.workspaces.get("prod")!.tables.get("pack")!.entities) m.set(k, nums.slice());
  return m;
}

function bench(name: string, agg: Record<string, unknown>): void {
  const e = load(agg);
  const features = Object.keys(agg).length;
  const packr = new Packr({ mapsAsObjects: false, useRecords: false });
  const map = numberMap(e);
  // Per round; chunks are dropped after the restore (holding every round's would skew the GC).
  const totals: number[] = [];
  const maxCalls: number[] = [];
  const medianCalls: number[] = [];
  let bytes = 0;
  let chunkCount = 0;
  const res: number[] = [];
  const packNs: number[] = [];
  const unpackNs: number[] = [];
  let packed = 0;
  for (let r = -1; r < ROUNDS; r++) {
    // The previous round's restored engine is garbage: collected here, not inside this round's next() calls.
    settle();
    let t = process.hrtime.bigint();
    const buf = packr.pack(map);
    const p = Number(process.hrtime.bigint() - t);
    t = process.hrtime.bigint();
    if ((packr.unpack(buf) as Map<string, number[]>).size !== ENTITIES) throw new Error("baseline lost entities");
    const u = Number(process.hrtime.bigint() - t);
    packed = buf.byteLength;
    const s = serialize(e);
    const x = restore(s.chunks);
    if (r < 0) continue;
    packNs.push(p);
    unpackNs.push(u);
    totals.push(s.totalNs);
    maxCalls.push(Math.max(...s.calls));
    medianCalls.push(median(s.calls));
    bytes = s.bytes;
    chunkCount = s.chunks.length;
    res.push(x);
  }
  const total = median(totals);
  const restoreNs = median(res);
  const pack = median(packNs);
  const unpack = median(unpackNs);
  console.log(
    `snapshot | ${name}: ${features} features | ${ENTITIES} entities x ${EVENTS} events over 2 h | ` +
      `serialize ${fmt(total / ENTITIES)} ns/entity (${fmt(total / 1e6)} ms), next(${BUDGET >> 10} KiB) median ${fmt(median(medianCalls) / 1e6, 2)} ms, longest ${fmt(median(maxCalls) / 1e6, 2)} ms ` +
      `[worst round ${fmt(Math.max(...maxCalls) / 1e6, 2)}], ${fmt(bytes / ENTITIES)} B/entity in ${chunkCount} chunks | ` +
      `restore ${fmt(ENTITIES / (restoreNs / 1e9))} entities/s, ${fmt(bytes / 1e6 / (restoreNs / 1e9))} MB/s (${fmt(restoreNs / 1e6)} ms) | ` +
      `baseline msgpackr Map<key, number[]>: pack ${fmt(pack / ENTITIES)} ns/entity, unpack ${fmt(ENTITIES / (unpack / 1e9))} entities/s, ${fmt(packed / ENTITIES)} B/entity`,
  );
}

/**
 * The push path while a snapshot is open: PUSHES events to the loaded entities (uniform keys, so
 * most touch an entity the snapshot has not written yet: copy-on-write writes its pre-image first),
 * against the same number of pushes with no snapshot, alternated.
 */
function pushCost(name: string, agg: Record<string, unknown>): void {
  const e = load(agg);
  const pushes = Math.min(ENTITIES, 50_000);
  let t = T0 + 3 * 3_600_000;
  let lsn = 1e9;
  const round = (snapshot: boolean): number => {
    const s = snapshot ? e.beginSnapshot() : undefined;
    const cmds = [];
    for (let i = 0; i < pushes; i++) {
      const p = e.preparePush("prod", "txn", { user: `user_${(i * 7919) % ENTITIES}`, card: "c", merchant: "m1", device: "d", ip: "i", amt: i, country: "US", is_online: false }, t);
      if (p.kind === "apply") cmds.push(p.command);
    }
    const t0 = process.hrtime.bigint();
    for (const c of cmds) e.applyPush(c, ++lsn, (t += 1));
    const ns = Number(process.hrtime.bigint() - t0) / cmds.length;
    s?.abort();
    return ns;
  };
  const on: number[] = [];
  const off: number[] = [];
  for (let r = -1; r < ROUNDS; r++) {
    const a = round(false);
    const b = round(true);
    if (r < 0) continue;
    off.push(a);
    on.push(b);
  }
  console.log(
    `snapshot | ${name}: applyPush while a snapshot is open (every touched entity not yet written: pre-image first) | ` +
      `${pushes} pushes over ${ENTITIES} entities | ${fmt(median(on))} ns/event with, ${fmt(median(off))} ns/event without`,
  );
}

if (ONLY === undefined || ONLY === "thirty") bench("30-feature pack", thirtyFeatures());
if (ONLY === undefined || ONLY === "twelve") bench("12-feature table", twelveFeatures());
if (ONLY === undefined || ONLY === "thirty") pushCost("30-feature pack", thirtyFeatures());
console.log(`node ${process.version}, ${process.arch}; medians of ${ROUNDS} rounds (snapshot and baseline alternated) after one warm-up round each`);
