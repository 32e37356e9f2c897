/**
 * Apply cost per event. Run:
 *   node_modules/.bin/node --expose-gc --experimental-transform-types --disable-warning=ExperimentalWarning bench/engine/apply.ts
 *
 * Per workload, start and round (rounds.ts): an engine — fresh (each key's first event creates its
 * entity) or loaded (it took the stream already and now takes it again one stream span later: no
 * new entity) — the stream's pushes prepared (preparePush, timed separately), then applyPush over
 * all of them (the engine's state update: what the target is about). Baseline ("floor") in the
 * same run, alternated with the engine round by round: the same events as a bare
 * Map<string, Float64Array> update, per table one lookup of the event's key and +1 on as many
 * numbers as the table has features. Reports medians over ROUNDS rounds (after
 * one warm-up round of each) and the engine/floor ratio of the medians. With --expose-gc each
 * round starts after a full GC.
 *
 * Env: N (events, default 500000), ENTITIES (keys per key column, default 100000; 1000 shows the
 * cache-resident cost), ROUNDS (default 5), ONLY=twelve|fraud, START=fresh|loaded (default both).
 */
import { applyFloorRound, applyRound, floorTables } from "./rounds.ts";
import type { FloorTable, Start } from "./rounds.ts";
import { EVENT, fmt, fraudNodes, median, stream, table, twelveFeatures } from "./workloads.ts";
import type { Stream } from "./workloads.ts";

const N = Number(process.env.N ?? 500_000);
const ENTITIES = Number(process.env.ENTITIES ?? 100_000);
const ROUNDS = Number(process.env.ROUNDS ?? 5);
const ONLY = process.env.ONLY;
const STARTS = (process.env.START === undefined ? ["fresh", "loaded"] : [process.env.START]) as Start[];

function bench(name: string, nodes: unknown[], tables: readonly FloorTable[], s: Stream, start: Start): void {
  const features = tables.reduce((x, t) => x + t.features, 0);
  const floor: number[] = [];
  const apply: number[] = [];
  const prepare: number[] = [];
  applyFloorRound(s, tables, start);
  applyRound(nodes, s, start);
  for (let r = 0; r < ROUNDS; r++) {
    floor.push(applyFloorRound(s, tables, start));
    const x = applyRound(nodes, s, start);
    apply.push(x.apply);
    prepare.push(x.prepare);
  }
  const f = median(floor);
  const a = median(apply);
  console.log(
    `apply | ${name}: ${tables.length} table(s), ${features} features | ${start} | ${N} events, zipf(0.99) over ${ENTITIES} keys per key column, 10 ms apart | ` +
      `applyPush ${fmt(a)} ns/event (${fmt(a / features, 1)} ns/feature) [min ${fmt(Math.min(...apply))}, max ${fmt(Math.max(...apply))}] | ` +
      `preparePush ${fmt(median(prepare))} ns/event | floor Map<string,Float64Array> ${fmt(f)} ns/event | apply/floor ${fmt(a / f, 1)}x`,
  );
}

// 1 event per 10 ms: 500k events span ~83 min, so windows slide and buckets rotate.
const s = stream(N, ENTITIES, 10);
const twelve = [EVENT, table("user_txn", "user", JSON.parse(JSON.stringify(twelveFeatures())))];
const fraud = fraudNodes();
for (const start of STARTS) {
  if (ONLY === undefined || ONLY === "twelve") bench("12-feature table", twelve, [{ key: "user", features: 12 }], s, start);
  if (ONLY === undefined || ONLY === "fraud") bench("fraud pipeline", fraud, floorTables(fraud), s, start);
}
console.log(`node ${process.version}, ${process.arch}; medians of ${ROUNDS} rounds (engine and floor alternated) after one warm-up round each${typeof (globalThis as { gc?: unknown }).gc === "function" ? ", a full GC before each round" : " (no --expose-gc: rounds also pay for earlier rounds' garbage)"}`);
