/**
 * The Redis side's load generator, a process of its own (started by redis-load.ts) so that ioredis
 * neither shares an event loop with the bench nor with the servers. It is the application server of
 * a team that keeps its features in Redis: it turns each event into the commands of features.ts and
 * each read into a pipeline whose replies it reduces to the 12 features.
 *
 * Closed loop: `connections` ioredis clients, each with `depth` pushes (or reads) in flight; each one
 * is its own pipeline (`pipeline().…exec()`), sent as soon as the previous one of its slot is
 * answered. Events and keys are built before the clock starts, from the same seeded generators as
 * Tessera's tapes. Jobs come over IPC; see redis-load.ts for the shapes.
 */
import { performance } from "node:perf_hooks";
import { Redis } from "ioredis";
import { userKey } from "../dataplane/workload.ts";
import { serveJobs } from "../lib/job-child.ts";
import { processCpuMs } from "../lib/machine.ts";
import { rng } from "../lib/random.ts";
import { LatencyRecorder } from "../lib/stats.ts";
import { keyDraw } from "../suite/keys.ts";
import { PACKS } from "../suite/packs.ts";
import { checkReplies, computeFeatures, pushCommands, readCommands, type Features, type MediumEventData } from "./features.ts";
import type { RedisJob, RedisLoadResult } from "./redis-load.ts";

const pack = PACKS.medium;
/** Makes sorted-set members unique across processes and runs. */
const ID_PREFIX = `${process.pid.toString(36)}${Date.now().toString(36)}`;
let seq = 0;

async function connectAll(host: string, port: number, n: number): Promise<Redis[]> {
  const clients = Array.from({ length: n }, () => new Redis({ host, port, lazyConnect: true, maxRetriesPerRequest: 1, enableAutoPipelining: false }));
  await Promise.all(clients.map((c) => c.connect()));
  return clients;
}

function eventsOf(n: number, entities: number, dist: "uniform" | "zipf", seed: number): MediumEventData[] {
  const next = pack.source(seed, entities, dist);
  return Array.from({ length: n }, () => next().data as unknown as MediumEventData);
}

async function preload(job: Extract<RedisJob, { kind: "preload" }>): Promise<number> {
  const [client] = await connectAll(job.host, job.port, 1);
  const r = rng(job.seed);
  let sent = 0;
  try {
    let p = client!.pipeline();
    let inPipe = 0;
    for (let i = 0; i < job.entities; i++) {
      for (const e of pack.entityEvents(i, job.entities, r)) {
        pushCommands(p, e.data as unknown as MediumEventData, Date.now(), `${ID_PREFIX}.${seq++}`);
        inPipe++;
      }
      if (inPipe >= 500) {
        checkReplies(await p.exec());
        sent += inPipe;
        p = client!.pipeline();
        inPipe = 0;
      }
    }
    if (inPipe > 0) checkReplies(await p.exec());
    return sent + inPipe;
  } finally {
    client!.disconnect();
  }
}

async function sample(job: Extract<RedisJob, { kind: "sample" }>): Promise<Record<string, Features>> {
  const [client] = await connectAll(job.host, job.port, 1);
  try {
    const out: Record<string, Features> = {};
    for (const key of job.keys) {
      const p = client!.pipeline();
      const now = Date.now();
      readCommands(p, key, now);
      out[key] = computeFeatures(checkReplies(await p.exec()), 0, now);
    }
    return out;
  } finally {
    client!.disconnect();
  }
}

let sink: unknown;

async function load(job: Extract<RedisJob, { kind: "push" | "read" }>): Promise<RedisLoadResult> {
  const events = job.kind === "push" ? eventsOf(job.tapeEvents, job.entities, job.dist, job.seed) : [];
  const draw = keyDraw(rng(job.seed), job.entities, job.dist);
  const keys = job.kind === "read" ? Array.from({ length: job.tapeEvents }, () => userKey(draw())) : [];
  const clients = await connectAll(job.host, job.port, job.connections);
  const rec = new LatencyRecorder();
  let errors = 0;
  let firstError: string | null = null;
  let ok = 0;
  const t0 = performance.now();
  const measureStart = t0 + job.warmupMs;
  const measureEnd = measureStart + job.durationMs;
  let cursor = 0;
  let sample: Features | null = null;
  const slot = async (client: Redis, start: number): Promise<void> => {
    let i = start;
    for (;;) {
      const begin = performance.now();
      if (begin >= measureEnd) return;
      const p = client.pipeline();
      const now = Date.now();
      if (job.kind === "push") pushCommands(p, events[i % events.length]!, now, `${ID_PREFIX}.${seq++}`);
      else readCommands(p, keys[i % keys.length]!, now);
      i += 1;
      try {
        const replies = checkReplies(await p.exec());
        if (job.kind === "read") {
          const f = computeFeatures(replies, 0, now);
          sample ??= f;
          sink = f;
        }
      } catch (e) {
        errors++;
        firstError ??= e instanceof Error ? e.message : String(e);
        continue;
      }
      const end = performance.now();
      if (end >= measureStart && end < measureEnd) {
        ok++;
        rec.record((end - begin) * 1000);
      }
    }
  };
  // Slots start at spread positions of the tape, so they do not all send the same keys.
  const total = job.connections * job.depth;
  const slots: Promise<void>[] = [];
  for (const c of clients) for (let d = 0; d < job.depth; d++) slots.push(slot(c, Math.floor((cursor++ * Math.max(events.length, keys.length)) / total)));
  let cpu0: { client: NodeJS.CpuUsage; pids: (number | null)[]; at: number } | undefined;
  let cpu1: typeof cpu0;
  const snap = () => ({ client: process.cpuUsage(), pids: job.observePids.map(processCpuMs), at: performance.now() });
  await new Promise<void>((resolve) => {
    setTimeout(() => {
      cpu0 = snap();
      setTimeout(() => {
        cpu1 = snap();
        resolve();
      }, Math.max(0, measureEnd - performance.now()));
    }, job.warmupMs);
  });
  await Promise.all(slots);
  for (const c of clients) c.disconnect();
  if (cpu0 === undefined || cpu1 === undefined) throw new Error("measurement window never opened");
  const a = cpu0;
  const b = cpu1;
  const elapsedMs = b.at - a.at;
  const clientMs = (b.client.user + b.client.system - a.client.user - a.client.system) / 1000;
  return {
    ops: ok,
    opsPerS: ok / (elapsedMs / 1000),
    errors,
    firstError,
    latency: rec.summary(),
    clientCpuPct: (clientMs / elapsedMs) * 100,
    observed: job.observePids.map((pid, i) => {
      const before = a.pids[i];
      const after = b.pids[i];
      if (before === null || before === undefined || after === null || after === undefined) return { pid, cpuPct: null, cpuUsPerRequest: null };
      return { pid, cpuPct: ((after - before) / elapsedMs) * 100, cpuUsPerRequest: ((after - before) * 1000) / Math.max(1, ok) };
    }),
    sample: job.kind === "read" ? sample : null,
  };
}

process.on("SIGTERM", () => process.exit(sink === Symbol() ? 1 : 0));
serveJobs((job: RedisJob): Promise<unknown> => (job.kind === "preload" ? preload(job) : job.kind === "sample" ? sample(job) : load(job)));
