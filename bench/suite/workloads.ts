/**
 * Request bytes for the suite, built before any load runs: push tapes (TCP msgpack frames and HTTP
 * JSON bodies) from a pack's seeded source, and the preload of one event per event kind for every
 * entity of the key space. Gets are bench/dataplane's (the medium pack is its table).
 */
import { pack as msgpack } from "msgpackr";
import { buildTape, CT_MSGPACK, encodeFrame, OP_PUSH } from "../lib/frames.ts";
import { rng } from "../lib/random.ts";
import { pushBatches } from "../lib/tessera-setup.ts";
import type { KeyDistribution } from "./keys.ts";
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

/** Every entity's events (pack.entityEvents), `batch` events per `/push_batch` body, built lazily. */
function* preloadBodies(pack: Pack, entities: number, batch: number, seed: number): Generator<string> {
  const r = rng(seed);
  let events: PackEvent[] = [];
  for (let i = 0; i < entities; i++) {
    for (const e of pack.entityEvents(i, entities, r)) events.push(e);
    if (events.length >= batch) {
      yield JSON.stringify({ events });
      events = [];
    }
  }
  if (events.length > 0) yield JSON.stringify({ events });
}

/** Gives every entity of the key space its state through `/push_batch`; returns the events sent. */
export function preloadPack(url: string, pack: Pack, entities: number): Promise<number> {
  return pushBatches(url, preloadBodies(pack, entities, 2000, 11), 2);
}
