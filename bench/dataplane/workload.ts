/**
 * The data-plane bench workload: one event source (`txn`) feeding one 12-feature table keyed by user,
 * events with zipfian user keys, and every request body and frame built before any load runs.
 * Deterministic: the same seed gives the same bytes on every machine.
 */
import { create, toBinary } from "@bufbuild/protobuf";
import { pack } from "msgpackr";
import { PushStreamRequestSchema } from "../../gen/tessera/dataplane/v1/data_plane_service_pb.ts";
import { buildTape, CT_MSGPACK, encodeFrame, OP_GET, OP_PUSH } from "../lib/frames.ts";
import { grpcFrame } from "../lib/grpc.ts";
import { pick, rng, scatteredZipf, type Rng } from "../lib/random.ts";

export const EVENT = "txn";
export const TABLE = "user_txn";
/** Zipf exponent of the user keys (as the engine benches). */
export const ZIPF_S = 0.99;

const FEATURES: Record<string, { op: string; params?: Record<string, unknown> }> = {
  cnt_1h: { op: "count", params: { window: "1h" } },
  cnt_1d: { op: "count", params: { window: "1d" } },
  amt_sum_1h: { op: "sum", params: { field: "amt", window: "1h" } },
  amt_sum_1d: { op: "sum", params: { field: "amt", window: "1d" } },
  amt_mean_1h: { op: "mean", params: { field: "amt", window: "1h" } },
  amt_mean_1d: { op: "mean", params: { field: "amt", window: "1d" } },
  amt_max_1h: { op: "max", params: { field: "amt", window: "1h" } },
  amt_max_1d: { op: "max", params: { field: "amt", window: "1d" } },
  merchants_1d: { op: "n_unique", params: { field: "merchant", window: "1d" } },
  amt_p95_1d: { op: "quantile", params: { field: "amt", q: 0.95, window: "1d" } },
  cnt: { op: "count" },
  amt_sum: { op: "sum", params: { field: "amt" } },
};
export const FEATURE_NAMES: readonly string[] = Object.keys(FEATURES);
export const FEATURE_SUMMARY =
  "count, sum, mean, max over 1h and 1d (continuous windows); n_unique(merchant) 1d; quantile(amt, 0.95) 1d; lifetime count and sum";

/** The `/register` body: the event and the table (beava's canonical SDK shape). */
export function registerBody(): { nodes: unknown[] } {
  return {
    nodes: [
      {
        kind: "event",
        name: EVENT,
        schema: {
          fields: { user: "str", merchant: "str", device: "str", amt: "f64", country: "str", channel: "str", is_online: "bool" },
        },
      },
      {
        kind: "derivation",
        name: TABLE,
        output_kind: "table",
        upstreams: [EVENT],
        table_primary_key: ["user"],
        ops: [{ op: "group_by", keys: ["user"], agg: FEATURES }],
      },
    ],
  };
}

/** Entity i's key: fixed width, so every body of a kind has the same size. */
export function userKey(i: number): string {
  return `u${String(i).padStart(6, "0")}`;
}

export const COUNTRIES = ["US", "GB", "DE", "FR", "BR", "IN", "JP", "NG", "MX", "CA"];
export const CHANNELS = ["web", "app", "pos"];

/** Mostly 1.00–999.99 with two decimals, so the JSON width barely varies. */
export function amount(r: Rng): number {
  return Math.round((1 + r.next() * 998.99) * 100) / 100;
}

/** One `txn` event of entity `user`; the other fields drawn from `r`. */
export function eventData(r: Rng, user: number): Record<string, string | number | boolean> {
  return {
    user: userKey(user),
    merchant: `m${String(Math.floor(r.next() * 5000)).padStart(5, "0")}`,
    device: `d-${Math.floor(r.next() * 2 ** 32).toString(16).padStart(8, "0")}`,
    amt: amount(r),
    country: pick(r, COUNTRIES),
    channel: pick(r, CHANNELS),
    is_online: r.next() < 0.6,
  };
}

export interface PushWorkload {
  /** HTTP `POST /push` bodies: `{"event","data"}` JSON. */
  readonly httpBodies: Buffer[];
  /** TCP PUSH frames, msgpack `{"event","body"}` (beava's TCP key), back to back. */
  readonly tcpTape: Buffer;
  /** One PushStream request stream: gRPC length-prefixed PushStreamRequest messages. */
  readonly grpcStreamBody: Buffer;
  readonly streamEvents: number;
  readonly meanJsonBytes: number;
  readonly meanMsgpackPayloadBytes: number;
  readonly meanProtoBytes: number;
  /** Distinct entities among the events (the zipf head repeats). */
  readonly distinctUsers: number;
}

/** `n` events with zipf(ZIPF_S) users over `entities`; the stream body carries the first `streamEvents`. */
export function pushWorkload(n: number, entities: number, streamEvents: number, seed = 7): PushWorkload {
  const r = rng(seed);
  const draw = scatteredZipf(r, entities, ZIPF_S);
  const httpBodies: Buffer[] = [];
  const frames: Buffer[] = [];
  const protos: Uint8Array[] = [];
  const users = new Set<number>();
  let jsonBytes = 0;
  let mpBytes = 0;
  let protoBytes = 0;
  const count = Math.max(n, streamEvents);
  for (let i = 0; i < count; i++) {
    const user = draw();
    const data = eventData(r, user);
    if (i < n) {
      users.add(user);
      const json = Buffer.from(JSON.stringify({ event: EVENT, data }));
      httpBodies.push(json);
      jsonBytes += json.length;
      const payload = pack({ event: EVENT, body: data });
      mpBytes += payload.length;
      frames.push(encodeFrame(OP_PUSH, CT_MSGPACK, payload));
    }
    if (i < streamEvents) {
      const msg = toBinary(PushStreamRequestSchema, create(PushStreamRequestSchema, { event: EVENT, data: data as never }));
      protoBytes += msg.length;
      protos.push(msg);
    }
  }
  return {
    httpBodies,
    tcpTape: buildTape(frames),
    grpcStreamBody: Buffer.concat(protos.map((m) => grpcFrame(m))),
    streamEvents,
    meanJsonBytes: jsonBytes / n,
    meanMsgpackPayloadBytes: mpBytes / n,
    meanProtoBytes: protoBytes / Math.max(1, streamEvents),
    distinctUsers: users.size,
  };
}

/** One event for every entity 0..entities-1, in `/push_batch` bodies of `batch` events. */
export function preloadBatches(entities: number, batch: number, seed = 11): Buffer[] {
  const r = rng(seed);
  const out: Buffer[] = [];
  for (let from = 0; from < entities; from += batch) {
    const events: unknown[] = [];
    for (let i = from; i < Math.min(entities, from + batch); i++) events.push({ event: EVENT, data: eventData(r, i) });
    out.push(Buffer.from(JSON.stringify({ events })));
  }
  return out;
}

export interface GetWorkload {
  /** `POST /get` bodies `{"table","key"}`. */
  readonly httpBodies: Buffer[];
  /** TCP GET frames, msgpack `{"table","key"}`. */
  readonly tcpTape: Buffer;
  readonly jsonBytes: number;
  readonly msgpackPayloadBytes: number;
}

/** `n` gets of entities drawn uniformly from the preloaded 0..entities-1 (every read finds a row). */
export function getWorkload(n: number, entities: number, seed = 13): GetWorkload {
  const r = rng(seed);
  const httpBodies: Buffer[] = [];
  const frames: Buffer[] = [];
  let mp = 0;
  for (let i = 0; i < n; i++) {
    const q = { table: TABLE, key: userKey(Math.floor(r.next() * entities)) };
    httpBodies.push(Buffer.from(JSON.stringify(q)));
    const payload = pack(q);
    mp = payload.length;
    frames.push(encodeFrame(OP_GET, CT_MSGPACK, payload));
  }
  return { httpBodies, tcpTape: buildTape(frames), jsonBytes: httpBodies[0]?.length ?? 0, msgpackPayloadBytes: mp };
}
