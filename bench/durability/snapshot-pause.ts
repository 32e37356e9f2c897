/**
 * Snapshot pause (issue 5 "Measure"): what taking a snapshot costs pushes that keep arriving.
 *
 * Run: node_modules/.bin/node --experimental-transform-types --disable-warning=ExperimentalWarning \
 *        bench/durability/snapshot-pause.ts [--entities N] [--rounds N] [--seconds S]
 *
 * One server (--fsync interval, periodic snapshots off) is loaded with `entities` users of the
 * durability table (7 aggregations, one event each). Then, per round, two windows of closed-loop
 * msgpack TCP pushes (4 connections × depth 32, keys spread over all the loaded users): one quiet, one
 * (before it in odd rounds) during which snapshots are requested back to back through the admin POST /snapshot. The report
 * gives the pushes/s ratio (snapshotting ÷ quiet, same round), both p99s, and the server's own
 * figures for the snapshots: duration, bytes, and the longest serialization slice (the time a push
 * could wait behind the snapshot). Medians over rounds.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { median } from "../lib/stats.ts";
import { pushBatches, register } from "../lib/tessera-setup.ts";
import { spawnMode } from "./storage-mode-server.ts";
import { loadTcpPushes } from "./tcp-push-load.ts";
import { NODES } from "./workload.ts";

const { values } = parseArgs({ options: { entities: { type: "string", default: "200000" }, rounds: { type: "string", default: "3" }, seconds: { type: "string", default: "4" } } });
const entities = Number(values.entities);
const rounds = Number(values.rounds);
const windowMs = Number(values.seconds) * 1000;

interface Taken {
  readonly written: boolean;
  readonly bytes?: number;
  readonly duration_ms?: number;
  readonly max_pause_ms?: number;
}

function* preload(n: number, batch = 2000): Generator<string> {
  for (let i = 0; i < n; i += batch) {
    const events = [];
    for (let u = i; u < Math.min(n, i + batch); u++) events.push({ event: "txn", data: { user: `u${u}`, amt: (u % 97) + 0.5, merchant: `m${u % 50}` } });
    yield JSON.stringify({ events });
  }
}

const dir = mkdtempSync(join(tmpdir(), "tessera-snapshot-pause-"));
const server = await spawnMode("interval", dir, "warn", ["--snapshot-interval-ms", "0", "--snapshot-every", "0"]);
try {
  await register(server.url, { nodes: NODES });
  await pushBatches(server.url, preload(entities), 2);
  const load = () =>
    loadTcpPushes({ host: server.tcp.host, port: server.tcp.port, connections: 4, depth: 32, warmupMs: 300, durationMs: windowMs, event: "txn", data: (i) => ({ user: `u${(i * 7919) % entities}`, amt: 3.5, merchant: "m1" }), serverPid: server.pid });
  const ratios: number[] = [];
  const quietP99: number[] = [];
  const snapP99: number[] = [];
  const snaps: Taken[] = [];
  const whileSnapshotting = async (): Promise<Awaited<ReturnType<typeof load>>> => {
    let stop = false;
    const snapshotting = (async () => {
      while (!stop) {
        const taken = (await (await fetch(`${server.adminUrl}/snapshot`, { method: "POST" })).json()) as Taken;
        if (taken.written) snaps.push(taken);
      }
    })();
    const busy = await load();
    stop = true;
    await snapshotting;
    return busy;
  };
  for (let r = 0; r < rounds; r++) {
    // Quiet first in even rounds, last in odd ones (as bench/lib/rounds.ts schedules pairs).
    const quiet = r % 2 === 0 ? await load() : undefined;
    const busy = await whileSnapshotting();
    const q = quiet ?? (await load());
    ratios.push(busy.pushesPerS / q.pushesPerS);
    quietP99.push(q.latency.p99Us);
    snapP99.push(busy.latency.p99Us);
    process.stderr.write(`round ${r + 1}/${rounds}: quiet ${Math.round(q.pushesPerS)}/s p99 ${Math.round(q.latency.p99Us)} µs; snapshotting ${Math.round(busy.pushesPerS)}/s p99 ${Math.round(busy.latency.p99Us)} µs\n`);
  }
  const m = (xs: readonly number[]): string => median(xs).toFixed(1);
  console.log(`snapshot pause | ${entities} entities (7-aggregation table), --fsync interval, TCP msgpack 4 conns × depth 32, ${rounds} rounds × ${windowMs / 1000} s, medians`);
  console.log(`  pushes/s while snapshotting ÷ quiet: ${median(ratios).toFixed(2)} (rounds: ${ratios.map((x) => x.toFixed(2)).join(", ")})`);
  console.log(`  push p99: quiet ${m(quietP99)} µs, snapshotting ${m(snapP99)} µs`);
  console.log(
    `  snapshots: ${snaps.length} written; duration ${m(snaps.map((s) => s.duration_ms!))} ms, ${(median(snaps.map((s) => s.bytes!)) / 1e6).toFixed(1)} MB, ` +
      `longest slice ${m(snaps.map((s) => s.max_pause_ms!))} ms (max ${Math.max(...snaps.map((s) => s.max_pause_ms!)).toFixed(1)} ms)`,
  );
} finally {
  await server.stop();
  rmSync(dir, { recursive: true, force: true });
}
