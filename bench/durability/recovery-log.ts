/**
 * Builds a command log of N push events for the recovery bench. The registration goes through a
 * real server (so the log holds exactly the register record the server writes); the pushes are then
 * appended with FileCommandLog, the server's own log writer, as the push commands the data plane
 * logs — millions of pushes through a transport would take minutes and measure the transport.
 */
import { join } from "node:path";
import { HttpDataPlaneClient } from "../../src/client/index.ts";
import type { JsonObject } from "../../src/client/index.ts";
import { FileCommandLog } from "../../src/storage/file-command-log.ts";
import type { Rng } from "../lib/random.ts";
import { spawnMode } from "./storage-mode-server.ts";
import { syntheticTxns } from "./workload.ts";

/** Records per append burst; each burst waits for its fsync, so pending bytes stay bounded. */
const BURST = 20_000;
/** Recorded times advance 1 ms every this many events: a 100k events/s stream. */
const EVENTS_PER_MS = 100;

export interface RecoveryLog {
  readonly events: number;
  /** Every record: the registration and the pushes. */
  readonly records: number;
  /** How many events the checked user ("u0") got, to verify the replayed state. */
  readonly u0Events: number;
  readonly writeS: number;
}

/** A log of a registration of `nodes` followed by `events` synthetic transactions. */
export async function writeRecoveryLog(dataDir: string, nodes: JsonObject[], events: number, random: Rng): Promise<RecoveryLog> {
  const server = await spawnMode("off", dataDir);
  const client = new HttpDataPlaneClient({ url: server.url });
  try {
    await client.register(nodes);
  } finally {
    await client.close();
    await server.stop();
  }

  const started = performance.now();
  const log = await FileCommandLog.open({ dir: join(dataDir, "log"), fsync: "always" });
  const next = syntheticTxns(random);
  // Recorded times end now, so the 1 h windows hold the latest events when the state is read.
  const t0 = Date.now() - Math.ceil(events / EVENTS_PER_MS);
  let u0Events = 0;
  for (let i = 0; i < events; ) {
    let durable: Promise<void> | undefined;
    for (const end = Math.min(events, i + BURST); i < end; i++) {
      const data = next();
      if (data.user === "u0") u0Events++;
      durable = log.append({ type: "push", workspace: "prod", event: "txn", data }, t0 + Math.floor(i / EVENTS_PER_MS)).durable;
    }
    await durable;
  }
  await log.close();
  return { events, records: events + 1, u0Events, writeS: (performance.now() - started) / 1000 };
}
