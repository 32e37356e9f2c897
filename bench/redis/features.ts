/**
 * The medium feature set (bench/dataplane/workload.ts: count, sum, mean, max over 1h and 1d, distinct
 * merchants 1d, p95 of amt 1d, lifetime count and sum) built the way teams build it on Redis without
 * a feature platform:
 *
 * - windowed counts and sums: one hash per time bucket with `c` (HINCRBY) and `s` (HINCRBYFLOAT),
 *   EXPIRE just past the window. 1h = 12 buckets of 5 min, 1d = 24 buckets of 1 h. A read fetches
 *   every bucket of the window (HMGET) and adds them up; mean = sum / count.
 * - lifetime count and sum: one hash (HINCRBY / HINCRBYFLOAT), no expiry.
 * - max over 1h and 1d, p95 over 1d: a sorted-set window of the events (ZADD score = time, member =
 *   time:id:amt), trimmed on every push (ZREMRANGEBYSCORE older than 1d) with EXPIRE 1d; a read takes
 *   the window (ZRANGEBYSCORE) and computes max and the exact p95 in the client.
 * - distinct merchants 1d: a sorted set merchant → last-seen time (ZADD), trimmed the same way; a
 *   read counts it (ZCOUNT over the window).
 *
 * A push is 14 commands and a read 39, each sent as one pipeline. Times are the client's clock.
 */
import type { ChainableCommander } from "ioredis";

const BUCKET_1H_MS = 5 * 60_000;
const BUCKETS_1H = 12;
const BUCKET_1D_MS = 3_600_000;
const BUCKETS_1D = 24;
const HOUR_MS = 3_600_000;
const DAY_MS = 86_400_000;
/** Bucket hashes live one bucket past their window. */
const TTL_1H_S = (HOUR_MS + BUCKET_1H_MS) / 1000;
const TTL_1D_S = (DAY_MS + BUCKET_1D_MS) / 1000;
const TTL_EVENTS_S = DAY_MS / 1000;

export const COMMANDS_PER_PUSH = 14;
export const COMMANDS_PER_READ = BUCKETS_1H + BUCKETS_1D + 3;

export interface MediumEventData {
  readonly user: string;
  readonly merchant: string;
  readonly amt: number;
}

const k = {
  h: (user: string, bucket: number) => `f:${user}:h:${bucket}`,
  d: (user: string, bucket: number) => `f:${user}:d:${bucket}`,
  life: (user: string) => `f:${user}:l`,
  events: (user: string) => `f:${user}:e`,
  merchants: (user: string) => `f:${user}:m`,
};

/** One event's 14 commands, appended to `p`. `id` makes the event's sorted-set member unique. */
export function pushCommands(p: ChainableCommander, e: MediumEventData, now: number, id: string): void {
  const h = k.h(e.user, Math.floor(now / BUCKET_1H_MS));
  const d = k.d(e.user, Math.floor(now / BUCKET_1D_MS));
  const life = k.life(e.user);
  const events = k.events(e.user);
  const merchants = k.merchants(e.user);
  const amt = String(e.amt);
  const dayAgo = now - DAY_MS;
  p.hincrby(h, "c", 1).hincrbyfloat(h, "s", amt).expire(h, TTL_1H_S);
  p.hincrby(d, "c", 1).hincrbyfloat(d, "s", amt).expire(d, TTL_1D_S);
  p.hincrby(life, "c", 1).hincrbyfloat(life, "s", amt);
  p.zadd(events, now, `${now}:${id}:${amt}`).zremrangebyscore(events, "-inf", `(${dayAgo}`).expire(events, TTL_EVENTS_S);
  p.zadd(merchants, now, e.merchant).zremrangebyscore(merchants, "-inf", `(${dayAgo}`).expire(merchants, TTL_EVENTS_S);
}

/** A read's 39 commands, appended to `p`. */
export function readCommands(p: ChainableCommander, user: string, now: number): void {
  const h = Math.floor(now / BUCKET_1H_MS);
  for (let b = h - BUCKETS_1H + 1; b <= h; b++) p.hmget(k.h(user, b), "c", "s");
  const d = Math.floor(now / BUCKET_1D_MS);
  for (let b = d - BUCKETS_1D + 1; b <= d; b++) p.hmget(k.d(user, b), "c", "s");
  p.hmget(k.life(user), "c", "s");
  p.zrangebyscore(k.events(user), now - DAY_MS, "+inf");
  p.zcount(k.merchants(user), now - DAY_MS, "+inf");
}

export type Features = Record<string, number | null>;

type Reply = [Error | null, unknown];

function num(v: unknown): number {
  return v === null || v === undefined ? 0 : Number(v);
}

/** The 12 features from a read's replies (`replies[at .. at + 39)`), named as Tessera names them. */
export function computeFeatures(replies: readonly Reply[], at: number, now: number): Features {
  let c1h = 0;
  let s1h = 0;
  for (let i = 0; i < BUCKETS_1H; i++) {
    const [c, s] = replies[at + i]![1] as [string | null, string | null];
    c1h += num(c);
    s1h += num(s);
  }
  let c1d = 0;
  let s1d = 0;
  for (let i = 0; i < BUCKETS_1D; i++) {
    const [c, s] = replies[at + BUCKETS_1H + i]![1] as [string | null, string | null];
    c1d += num(c);
    s1d += num(s);
  }
  const base = at + BUCKETS_1H + BUCKETS_1D;
  const [lc, ls] = replies[base]![1] as [string | null, string | null];
  const members = replies[base + 1]![1] as string[];
  const merchants = Number(replies[base + 2]![1]);
  const hourAgo = now - HOUR_MS;
  const amts: number[] = [];
  let max1h: number | null = null;
  let max1d: number | null = null;
  for (const m of members) {
    const t = Number(m.slice(0, m.indexOf(":")));
    const a = Number(m.slice(m.lastIndexOf(":") + 1));
    amts.push(a);
    if (max1d === null || a > max1d) max1d = a;
    if (t >= hourAgo && (max1h === null || a > max1h)) max1h = a;
  }
  amts.sort((x, y) => x - y);
  const p95 = amts.length === 0 ? null : amts[Math.min(amts.length - 1, Math.ceil(0.95 * amts.length) - 1)]!;
  return {
    cnt_1h: c1h,
    cnt_1d: c1d,
    amt_sum_1h: s1h,
    amt_sum_1d: s1d,
    amt_mean_1h: c1h === 0 ? null : s1h / c1h,
    amt_mean_1d: c1d === 0 ? null : s1d / c1d,
    amt_max_1h: max1h,
    amt_max_1d: max1d,
    merchants_1d: merchants,
    amt_p95_1d: p95,
    cnt: num(lc),
    amt_sum: num(ls),
  };
}

/** Throws on the first failed command of a pipeline's replies. */
export function checkReplies(replies: readonly Reply[] | null): readonly Reply[] {
  if (replies === null) throw new Error("pipeline was discarded");
  for (const [err] of replies) if (err !== null) throw err;
  return replies;
}
