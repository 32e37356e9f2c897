/**
 * Request bytes for the suite, built before any load runs: push tapes (TCP msgpack frames and HTTP
 * JSON bodies) from a pack's seeded source, get tapes, and preloading a server with one event per
 * event kind for every entity of the key space.
 */
import { pack as msgpack } from "msgpackr";
import { buildTape, CT_MSGPACK, encodeFrame, OP_GET, OP_PUSH } from "../lib/frames.ts";
import { rng } from "../lib/random.ts";
import { keyDraw, type KeyDistribution } from "./keys.ts";
import type { Pack, PackEvent } from "./packs.ts";

export interface PushTapes {
  /** TCP PUSH frames, msgpack `{"event","body"}`, back to back. */
  readonly tcpTape: Buffer;
  /** `POST /push` bodies, `{"event","data"}` JSON. */
  readonly httpBodies: Buffer[];
  readonly events: number;
  readonly meanJsonBytes: number;
  readonly meanMsgpackBytes: number;
  /** Distinct keys of the pack's first key kind (user) among the events that carry one. */
  readonly distinctKeys: number;
  /** Events per kind in the tape. */
  readonly mix: Record<string, number>;
}

export function pushTapes(pack: Pack, events: number, entities: number, dist: KeyDistribution, seed: number): PushTapes {
  const next = pack.source(seed, entities, dist);
  const frames: Buffer[] = [];
  const httpBodies: Buffer[] = [];
  const firstKey = new Set<string>();
  const keyField = pack.keyKinds[0] as string;
  const mix: Record<string, number> = {};
  let json = 0;
  let mp = 0;
  for (let i = 0; i < events; i++) {
    const e = next();
    const body = Buffer.from(JSON.stringify({ event: e.event, data: e.data }));
    httpBodies.push(body);
    json += body.length;
    const payload = msgpack({ event: e.event, body: e.data });
    mp += payload.length;
    frames.push(encodeFrame(OP_PUSH, CT_MSGPACK, payload));
    const k = e.data[keyField];
    if (k !== undefined) firstKey.add(String(k));
    mix[e.event] = (mix[e.event] ?? 0) + 1;
  }
  return {
    tcpTape: buildTape(frames),
    httpBodies,
    events,
    meanJsonBytes: Math.round((json / events) * 10) / 10,
    meanMsgpackBytes: Math.round((mp / events) * 10) / 10,
    distinctKeys: firstKey.size,
    mix,
  };
}

export interface GetTapes {
  readonly tcpTape: Buffer;
  readonly httpBodies: Buffer[];
  readonly jsonBytes: number;
  readonly msgpackBytes: number;
}

/** `{table, key}` gets with keys drawn over 0..entities-1 (all preloaded, so every read finds a row). */
export function getTapes(table: string, keyOf: (i: number) => string, n: number, entities: number, dist: KeyDistribution, seed: number): GetTapes {
  const draw = keyDraw(rng(seed), entities, dist);
  const frames: Buffer[] = [];
  const httpBodies: Buffer[] = [];
  let mp = 0;
  for (let i = 0; i < n; i++) {
    const q = { table, key: keyOf(draw()) };
    httpBodies.push(Buffer.from(JSON.stringify(q)));
    const payload = msgpack(q);
    mp = payload.length;
    frames.push(encodeFrame(OP_GET, CT_MSGPACK, payload));
  }
  return { tcpTape: buildTape(frames), httpBodies, jsonBytes: httpBodies[0]?.length ?? 0, msgpackBytes: mp };
}

/** Every entity's events (pack.entityEvents), `batch` events per `/push_batch` body, built lazily. */
export function* preloadBodies(pack: Pack, entities: number, batch: number, seed: number, times = 1): Generator<string> {
  const r = rng(seed);
  let events: PackEvent[] = [];
  for (let t = 0; t < times; t++) {
    for (let i = 0; i < entities; i++) {
      for (const e of pack.entityEvents(i, entities, r)) events.push(e);
      if (events.length >= batch) {
        yield JSON.stringify({ events });
        events = [];
      }
    }
  }
  if (events.length > 0) yield JSON.stringify({ events });
}

/** Posts `/push_batch` bodies, `concurrency` in flight; throws on the first rejected event. Returns events sent. */
export async function preload(url: string, bodies: Iterable<string>, concurrency = 2): Promise<number> {
  const it = bodies[Symbol.iterator]();
  let sent = 0;
  const worker = async (): Promise<void> => {
    for (;;) {
      const n = it.next();
      if (n.done === true) return;
      const res = await fetch(`${url}/push_batch`, { method: "POST", headers: { "content-type": "application/json" }, body: n.value });
      const text = await res.text();
      if (res.status !== 200) throw new Error(`POST /push_batch: ${res.status} ${text.slice(0, 300)}`);
      const reply = JSON.parse(text) as { outcomes?: { error?: unknown }[] };
      const bad = reply.outcomes?.find((o) => o.error !== undefined);
      if (reply.outcomes === undefined || bad !== undefined) throw new Error(`POST /push_batch: ${JSON.stringify(bad ?? reply).slice(0, 300)}`);
      sent += reply.outcomes.length;
    }
  };
  await Promise.all(Array.from({ length: concurrency }, worker));
  return sent;
}

/** `POST /register` of a pack (or any body); throws unless 200. */
export async function register(url: string, body: unknown): Promise<void> {
  const res = await fetch(`${url}/register`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify(body) });
  if (res.status !== 200) throw new Error(`POST /register: ${res.status} ${(await res.text()).slice(0, 500)}`);
}

/** A push reply must be an ack. */
export function checkAck(reply: unknown): void {
  if (reply === null || typeof reply !== "object" || !("ack_lsn" in reply)) throw new Error(`push reply is not an ack: ${JSON.stringify(reply).slice(0, 200)}`);
}

/** A get reply must hold every feature of the table. */
export function checkRowOf(features: readonly string[], where: string): (reply: unknown) => void {
  return (reply) => {
    const keys = reply !== null && typeof reply === "object" ? Object.keys(reply) : [];
    const missing = features.filter((f) => !keys.includes(f));
    if (missing.length > 0) throw new Error(`${where}: row lacks ${missing.join(", ")}: ${JSON.stringify(reply).slice(0, 200)}`);
  };
}
