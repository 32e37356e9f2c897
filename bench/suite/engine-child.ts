/**
 * The engine micro-benchmarks of bench/engine (apply.ts, read.ts) as a suite case, in a child process
 * of their own: the same workloads (bench/engine/workloads.ts: the 12-feature table and the 5-table,
 * ~100-feature fraud pipeline, zipf(0.99) keys) and the same rounds and in-run baselines
 * (bench/engine/rounds.ts: per table a Map<string, Float64Array> lookup and +1 per feature; Map.get
 * + copy of the row), returned as numbers per round instead of printed.
 *
 * argv: <events> <entities> <rounds>. Prints one JSON line: EngineChildResult.
 */
import { applyFloorRound, applyRound, floorTables, readRound, readSetup } from "../engine/rounds.ts";
import { EVENT, fraudNodes, stream, table, twelveFeatures, type Stream } from "../engine/workloads.ts";

export interface EngineSeries {
  readonly id: string;
  readonly title: string;
  /** ns per op, one value per round. */
  readonly subjectNs: number[];
  readonly baselineNs: number[];
  readonly features: number;
}

export interface EngineChildResult {
  readonly events: number;
  readonly entities: number;
  readonly rounds: number;
  readonly series: EngineSeries[];
}

const [eventsArg, entitiesArg, roundsArg] = process.argv.slice(2);
const EVENTS = Number(eventsArg ?? 500_000);
const ENTITIES = Number(entitiesArg ?? 100_000);
const ROUNDS = Number(roundsArg ?? 3);

function apply(id: string, title: string, nodes: unknown[], s: Stream): EngineSeries {
  const tables = floorTables(nodes);
  applyRound(nodes, s); // JIT warm-up, as bench/engine/apply.ts
  const subjectNs: number[] = [];
  const baselineNs: number[] = [];
  for (let r = 0; r < ROUNDS; r++) {
    baselineNs.push(applyFloorRound(s, tables));
    subjectNs.push(applyRound(nodes, s).apply);
  }
  return { id, title, subjectNs, baselineNs, features: tables.reduce((x, t) => x + t.features, 0) };
}

function read(s: Stream): EngineSeries {
  const setup = readSetup(twelveFeatures(), s, Math.min(200_000, s.rows.length));
  const subjectNs: number[] = [];
  const baselineNs: number[] = [];
  // Round 0 warms the JIT, as bench/engine/read.ts.
  for (let round = 0; round <= ROUNDS; round++) {
    const r = readRound(setup);
    if (round > 0) {
      subjectNs.push(r.engine);
      baselineNs.push(r.floor);
    }
  }
  return { id: "engine-read-12", title: "engine read, 12 features of a random key", subjectNs, baselineNs, features: setup.features };
}

// 1 event per 10 ms: windows slide and buckets rotate over the stream (as bench/engine/apply.ts).
const s = stream(EVENTS, ENTITIES, 10);
const series = [
  apply("engine-apply-12", "engine apply, 12-feature table", [EVENT, table("user_txn", "user", JSON.parse(JSON.stringify(twelveFeatures())))], s),
  apply("engine-apply-fraud", "engine apply, fraud pipeline (5 tables)", fraudNodes(), s),
  read(s),
];
const result: EngineChildResult = { events: EVENTS, entities: ENTITIES, rounds: ROUNDS, series };
process.stdout.write(`${JSON.stringify(result)}\n`);
