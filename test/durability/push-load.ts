import { HttpDataPlaneClient, TcpDataPlaneClient, type DataPlaneClient } from "../../src/client/index.ts";
import type { SpawnedServer } from "../helpers/spawn-server.ts";
import type { Txn } from "./txn-workload.ts";

/**
 * Concurrent pushes over HTTP and pipelined TCP until the server stops answering, recording what was
 * sent and what was acknowledged. A push that failed (the server was killed under it, or was gone
 * before it was sent) is "in flight": it may or may not have been applied.
 */

export interface LoadShape {
  /** HTTP clients, each with `httpWorkers` sequential pushers (so up to that many connections). */
  readonly httpClients: number;
  readonly httpWorkers: number;
  /** TCP clients, one connection each, with `tcpDepth` pushes pipelined on it. */
  readonly tcpClients: number;
  readonly tcpDepth: number;
}

/**
 * The acks of pushes that the server applies in the order they were made: one sequential HTTP
 * worker, or one TCP connection (frames are applied and answered in order). Their LSNs, taken in
 * call order, must be strictly increasing.
 */
export interface OrderedStream {
  readonly name: string;
  calls: number;
  /** [call index, ack LSN] of each acknowledged push. */
  readonly acks: [number, number][];
}

export interface LoadOutcome {
  readonly sent: Txn[];
  /** id → ack LSN. */
  readonly acked: Map<string, number>;
  /** Pushes that failed: possibly applied. */
  readonly inFlight: Txn[];
  readonly streams: OrderedStream[];
  /** Codes of the failures, to check they are all lost connections. */
  readonly errorCodes: Set<string>;
}

export interface PushLoad {
  /** Resolves at the first acknowledgement (never, when every push fails: race it with `done`). */
  readonly firstAck: Promise<void>;
  /** Resolves once every pusher has seen a failure. */
  readonly done: Promise<LoadOutcome>;
}

/** Starts pushing from every pusher until each has seen a failure (kill the server to end it). */
export function pushUntilFailure(server: SpawnedServer, shape: LoadShape, next: () => Txn): PushLoad {
  const outcome: LoadOutcome = { sent: [], acked: new Map(), inFlight: [], streams: [], errorCodes: new Set() };
  const clients: DataPlaneClient[] = [];
  const pushers: Promise<void>[] = [];
  let acked: () => void = () => {};
  const firstAck = new Promise<void>((resolve) => (acked = resolve));

  // A pusher stops at its first failure: after a kill every later push fails as well.
  const pusher = async (client: DataPlaneClient, stream: OrderedStream): Promise<void> => {
    for (;;) {
      const txn = next();
      outcome.sent.push(txn);
      const call = stream.calls++;
      try {
        const r = await client.push("txn", txn);
        if (r.idempotentReplay) throw new Error(`a fresh id was answered as a replay: ${txn.id}`);
        outcome.acked.set(txn.id, r.ackLsn);
        stream.acks.push([call, r.ackLsn]);
        acked();
      } catch (e) {
        const code = (e as { code?: unknown }).code;
        if (typeof code !== "string") throw e;
        outcome.errorCodes.add(code);
        outcome.inFlight.push(txn);
        return;
      }
    }
  };
  const stream = (name: string): OrderedStream => {
    const s: OrderedStream = { name, calls: 0, acks: [] };
    outcome.streams.push(s);
    return s;
  };

  for (let c = 0; c < shape.httpClients; c++) {
    const client = new HttpDataPlaneClient({ url: server.url, timeoutMs: 10_000 });
    clients.push(client);
    for (let w = 0; w < shape.httpWorkers; w++) pushers.push(pusher(client, stream(`http${c}.${w}`)));
  }
  for (let c = 0; c < shape.tcpClients; c++) {
    const client = new TcpDataPlaneClient({ host: server.tcp!.host, port: server.tcp!.port, timeoutMs: 10_000 });
    clients.push(client);
    const s = stream(`tcp${c}`);
    for (let w = 0; w < shape.tcpDepth; w++) pushers.push(pusher(client, s));
  }
  const done = Promise.all(pushers).finally(() => Promise.all(clients.map((c) => c.close())));
  return { firstAck, done: done.then(() => outcome) };
}
