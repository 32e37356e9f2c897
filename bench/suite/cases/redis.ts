/**
 * The medium feature set on Tessera next to the same features built the way teams do without it:
 * Redis counters per window bucket and sorted-set windows through ioredis (bench/redis/features.ts),
 * against a local redis-server the bench starts (no persistence) and stops. Same events, same keys,
 * same connection count and in-flight depth on both sides:
 *   push   Tessera TCP msgpack PUSH vs an ioredis pipeline of 14 commands per event
 *   read   Tessera TCP msgpack GET (12 features) vs an ioredis pipeline of 39 commands per read,
 *          reduced to the 12 features in the client
 * Reported as Tessera ÷ Redis ops/s, with the server CPU and the total (server + client) CPU per op,
 * since the Redis design moves the feature computation into the client.
 * Skipped, and said so, when redis-server is not installed.
 */
import { checkAck, checkRowOf } from "../../dataplane/cases.ts";
import { getWorkload } from "../../dataplane/workload.ts";
import { OP_GET_RESPONSE, OP_PUSH } from "../../lib/frames.ts";
import type { Timing } from "../../lib/rounds.ts";
import { sampleOf } from "../../lib/sample.ts";
import { closedLoop, frameTape, type Tape } from "../../lib/tape-loads.ts";
import { register } from "../../lib/tessera-setup.ts";
import { findRedisServer, startRedis, type RedisServer } from "../../redis/redis-server.ts";
import { ioredisAvailable, RedisLoadGenerator } from "../../redis/redis-load.ts";
import { COMMANDS_PER_PUSH, COMMANDS_PER_READ } from "../../redis/features.ts";
import { firstLine, measureCase, pairSteps, unmeasured, type CaseResult, type CaseSpec, type SuiteContext } from "../context.ts";
import { compact, describeKeys } from "../keys.ts";
import type { SuiteOptions } from "../options.ts";
import { MEDIUM_TABLE, PACKS, userKey } from "../packs.ts";
import type { PairSpec } from "../pairs.ts";
import { track } from "../children.ts";
import { childEnv, startTessera, type SuiteServer } from "../servers.ts";
import { preloadPack, pushTapes } from "../workloads.ts";

/** Features compared between the two implementations (the sketches, p95 and max, are not exact in both). */
const PARITY = ["cnt", "amt_sum", "cnt_1h", "cnt_1d", "amt_sum_1h", "amt_sum_1d", "merchants_1d", "amt_max_1d"];
const PARITY_KEYS = 20;

function close(a: unknown, b: unknown): boolean {
  const x = typeof a === "number" ? a : a === null || a === undefined ? 0 : Number(a);
  const y = typeof b === "number" ? b : b === null || b === undefined ? 0 : Number(b);
  return Math.abs(x - y) <= 1e-6 * Math.max(1, Math.abs(x), Math.abs(y));
}

export function redisCase(o: SuiteOptions): CaseSpec {
  const pack = PACKS.medium;
  const entities = o.redisEntities;
  const id = "redis-medium";
  const title = "Tessera vs Redis counters + sorted sets";
  const workload = `medium, ${compact(entities)} preloaded; push zipf, read uniform`;
  const titles = [
    { id: `${id}/push`, title: `push ev/s, Tessera TCP vs Redis (ioredis), ${o.connections}×${o.redisDepth}` },
    { id: `${id}/read`, title: `read 12 features/s, Tessera TCP vs Redis (ioredis), ${o.connections}×${o.redisDepth}` },
  ];
  return {
    id,
    group: "redis",
    title,
    workload,
    steps: pairSteps(o, 2, 0, 1),
    async run(ctx: SuiteContext): Promise<CaseResult> {
      const spec = { id, group: "redis" as const, title, workload };
      const bin = findRedisServer();
      if (bin === null) return unmeasured(spec, "redis-server not installed: skipped", titles, { redis: "redis-server not found on the PATH (apt-get install -y redis-server)" });
      const noClient = ioredisAvailable();
      if (noClient !== null) return unmeasured(spec, `${noClient}: skipped`, titles);
      let redis: RedisServer | undefined;
      let tessera: SuiteServer | undefined;
      let gen: RedisLoadGenerator | undefined;
      try {
        const started = await Promise.allSettled([startRedis(bin).then(track), startTessera(), RedisLoadGenerator.start(childEnv()).then(track)]);
        [redis, tessera, gen] = started.map((r) => (r.status === "fulfilled" ? r.value : undefined)) as [RedisServer | undefined, SuiteServer | undefined, RedisLoadGenerator | undefined];
        const failed = started.find((r) => r.status === "rejected");
        if (failed !== undefined || redis === undefined || tessera === undefined || gen === undefined) throw (failed as PromiseRejectedResult | undefined)?.reason ?? new Error("start failed");
        const pushTape = pushTapes(pack, o.tapeEvents, entities, "zipf", 7);
        const getTape = getWorkload(o.tapeEvents, entities, 13);
        await register(tessera.url, pack.registerBody());
        const t0 = performance.now();
        const [tPre, rPre] = await Promise.all([preloadPack(tessera.url, pack, entities), gen.preload({ kind: "preload", host: redis.host, port: redis.port, entities, seed: 11 })]);
        ctx.log(`${id}: preloaded ${tPre} events into Tessera and ${rPre} into Redis in ${Math.round(performance.now() - t0)} ms`);
        // Parity: the two implementations must hold the same features for the same events.
        const keys = Array.from({ length: Math.min(PARITY_KEYS, entities) }, (_x, i) => userKey(Math.floor((i * entities) / Math.min(PARITY_KEYS, entities))));
        const fromRedisSide = await gen.sample({ kind: "sample", host: redis.host, port: redis.port, keys });
        const mismatches: string[] = [];
        for (const key of keys) {
          const res = await fetch(`${tessera.url}/get`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ table: MEDIUM_TABLE, key }) });
          const row = (await res.json()) as Record<string, unknown>;
          const other = fromRedisSide[key] ?? {};
          for (const f of PARITY) if (!close(row[f], other[f])) mismatches.push(`${key}.${f}: tessera ${JSON.stringify(row[f])}, redis ${JSON.stringify(other[f])}`);
        }
        const parity = mismatches.length === 0 ? `${keys.length}/${keys.length} entities agree on ${PARITY.join(", ")}` : `MISMATCH (${mismatches.length}): ${mismatches.slice(0, 3).join("; ")}`;
        ctx.log(`${id}: parity ${parity}`);
        ctx.step(`${id}: setup`);

        const srv = tessera;
        const rs = redis;
        const rg = gen;
        const tess = (tape: Tape) => closedLoop(ctx.gen, tape, { addr: srv.tcpAddr, pid: srv.pid }, o.connections, o.redisDepth);
        const red = (kind: "push" | "read", dist: "zipf" | "uniform", seed: number) => (t: Timing) =>
          rg
            .run({ kind, host: rs.host, port: rs.port, connections: o.connections, depth: o.redisDepth, ...t, entities, dist, seed, tapeEvents: o.tapeEvents, observePids: [rs.pid] })
            .then((r) => sampleOf(r.opsPerS, r, r.sample));
        const features = pack.tables[0]!.features;
        const versus = { metric: "throughput", totalCpu: true, ratioLabel: "Tessera ÷ Redis" } as const;
        const pairs: PairSpec[] = [
          {
            id: titles[0]!.id, title: titles[0]!.title, ...versus,
            subject: { id: "tessera-push", label: "tessera TCP PUSH msgpack", run: tess(frameTape(ctx.gen, pushTape.tcpTape, OP_PUSH)), check: checkAck },
            baseline: { id: "redis-push", label: `redis-server ${rs.version}, ioredis pipeline of ${COMMANDS_PER_PUSH} commands per event`, run: red("push", "zipf", 7) },
          },
          {
            id: titles[1]!.id, title: titles[1]!.title, ...versus,
            subject: { id: "tessera-read", label: "tessera TCP GET msgpack", run: tess(frameTape(ctx.gen, getTape.tcpTape, OP_GET_RESPONSE)), check: checkRowOf(features, "Tessera get") },
            baseline: { id: "redis-read", label: `redis-server ${rs.version}, ioredis pipeline of ${COMMANDS_PER_READ} commands per read`, run: red("read", "uniform", 13), check: checkRowOf(features, "Redis read") },
          },
        ];
        return await measureCase(ctx, spec, pairs, {
          features: pack.summary,
          redisDesign:
            "per event: HINCRBY + HINCRBYFLOAT + EXPIRE on a 5-min bucket hash (1h = 12 buckets) and on a 1-h bucket hash (1d = 24 buckets); HINCRBY + HINCRBYFLOAT on a lifetime hash; " +
            "ZADD + ZREMRANGEBYSCORE + EXPIRE on an events sorted set (max 1h/1d, exact p95 1d in the client) and on a merchant sorted set (distinct 1d by ZCOUNT). " +
            `Read: ${COMMANDS_PER_READ} commands (HMGET per bucket, HMGET lifetime, ZRANGEBYSCORE, ZCOUNT) reduced in the client (bench/redis/features.ts)`,
          redisServer: `redis-server ${rs.version} ${rs.args.join(" ")}`,
          redisClient: `ioredis (separate process, bench/redis/redis-load-child.ts): ${o.connections} connections × ${o.redisDepth} pipelines in flight, one pipeline per push or read`,
          tessera: `tessera ${srv.flags.join(" ")}; out-of-process generator (bench/lib/tcp-load-child.ts): ${o.connections} TCP connections × depth ${o.redisDepth}, pre-encoded msgpack frames`,
          preload: `every entity: one event on both (Tessera via /push_batch: ${tPre}, Redis via pipelined pushes: ${rPre})`,
          keys: `pushes ${describeKeys("zipf", entities)} (the same ${o.tapeEvents} seeded events on both); reads ${describeKeys("uniform", entities)} (the same keys)`,
          parity,
          cpu: "srv µs/op: redis-server's or Tessera's CPU per op; total µs/op adds the load generator's CPU (ioredis does the feature work for Redis; Tessera's generator only sends pre-encoded frames)",
        });
      } catch (e) {
        return unmeasured(spec, `setup failed: ${firstLine(e)}`, titles);
      } finally {
        await Promise.all([gen?.close(), tessera?.stop(), redis?.stop()]);
      }
    },
  };
}
