/**
 * Read cost per row. Run:
 *   node_modules/.bin/node --experimental-transform-types --disable-warning=ExperimentalWarning bench/engine/read.ts
 *
 * Loads one table (the 12-feature table, then the 30-feature pack) with LOAD events (zipf(0.99) over
 * 100k users, 10 ms apart: ~50 min, so hot users have most of a 1h window's 64 buckets), then reads
 * every feature of READS keys drawn from the stream (so as skewed as the pushes: hot users, with
 * full windows and sketch states, are read most) at one `now` just after the last event; every
 * window is evaluated at read time. Baseline ("floor") in the same run, alternated round by round:
 * Map.get of the same keys plus copying as many numbers into a new array. Medians of ROUNDS rounds.
 *
 * Env: LOAD (default 300000), READS (default 100000), ROUNDS (default 5).
 */
import { readRound, readSetup } from "./rounds.ts";
import { fmt, median, stream, thirtyFeatures, twelveFeatures } from "./workloads.ts";

const LOAD = Number(process.env.LOAD ?? 300_000);
const READS = Number(process.env.READS ?? 100_000);
const ROUNDS = Number(process.env.ROUNDS ?? 5);
const ENTITIES = 100_000;

function bench(name: string, agg: Record<string, unknown>): void {
  const setup = readSetup(agg, stream(LOAD, ENTITIES, 10), READS);
  const features = setup.features;
  const engineNs: number[] = [];
  const floorNs: number[] = [];
  // Round 0 is the warm-up.
  for (let round = 0; round <= ROUNDS; round++) {
    const r = readRound(setup);
    if (round > 0) {
      engineNs.push(r.engine);
      floorNs.push(r.floor);
    }
  }
  const x = median(engineNs);
  const b = median(floorNs);
  console.log(
    `read | ${name}: ${features} features, all read | table loaded with ${LOAD} events, zipf(0.99) over ${ENTITIES} users | ${READS} reads of stream-drawn users | ` +
      `engine ${fmt(x)} ns/row (${fmt(x / features, 1)} ns/feature) [min ${fmt(Math.min(...engineNs))}, max ${fmt(Math.max(...engineNs))}] | ` +
      `floor Map.get+copy ${fmt(b)} ns/row | engine/floor ${fmt(x / b, 1)}x`,
  );
}

bench("12-feature table", twelveFeatures());
bench("30-feature pack", thirtyFeatures());
console.log(`node ${process.version}, ${process.arch}; medians of ${ROUNDS} rounds (engine and floor alternated) after one warm-up round`);
