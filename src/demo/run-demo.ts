import { once } from "node:events";
import { createClient, type RegisterApplied } from "../client/index.ts";
import { formatAddress, type ListenAddress, type TesseraConfig } from "../config.ts";
import type { Logger } from "../logger.ts";
import { startServer } from "../server.ts";
import { EventPump } from "./event-pump.ts";
import { getFeatures } from "./feature-request.ts";
import { renderFeatureTable } from "./feature-table.ts";
import { FRAUD_NODES, TILE_INTERVAL_MS } from "./fraud-example.ts";
import { startProgress } from "./progress.ts";
import { queryCommands } from "./query-commands.ts";
import { TransactionGenerator, type ScoredUser } from "./transaction-generator.ts";

/**
 * `tessera demo`: an embedded server, the fraud example registered through the TCP client,
 * synthetic traffic streamed over the pipelined msgpack fast path, then a few transactions scored
 * with GetFeatures and the commands to query the server yourself.
 */

export interface DemoOptions {
  /** The embedded server's configuration, with a TCP listener: the events travel over it. */
  readonly config: TesseraConfig & { readonly tcp: ListenAddress };
  readonly logger: Logger;
  /** Events to stream (transactions and logins). */
  readonly events: number;
  /** Distinct users. Default: the generator's (10 000). */
  readonly users?: number;
  readonly seed: number;
  /** Events per second at most; undefined is as fast as the server acknowledges. */
  readonly rate?: number;
  /** Keep serving after printing, until `signal` fires. */
  readonly stay: boolean;
  /** Where the demo writes; progress is a bar when it is a TTY. */
  readonly out: NodeJS.WritableStream & { readonly isTTY?: boolean };
  /** Ctrl-C: stops the stream or the serving; the server is then closed gracefully. */
  readonly signal: AbortSignal;
}

/** The amount of the transaction every demo query scores. */
const SCORED_AMOUNT = 250;

const COUNT = new Intl.NumberFormat("en-US");

/** Resolves once the demo is over: printed (and served, with `stay`) or interrupted; the server is closed. */
export async function runDemo(options: DemoOptions): Promise<void> {
  const { config, out, signal } = options;
  // Built first: invalid sizes are reported before any port is opened.
  const generator = new TransactionGenerator({ seed: options.seed, events: options.events, users: options.users });
  const print = (line = ""): void => {
    out.write(`${line}\n`);
  };

  const server = await startServer({ config, logger: options.logger });
  // config.tcp is set, so the TCP listener is up.
  const tcp = server.tcp!;
  const httpUrl = `http://${formatAddress(server.http)}`;
  const adminUrl = `http://${formatAddress(server.admin)}`;
  print(server.readyLine);
  const client = createClient({ transport: "tcp", host: tcp.host, port: tcp.port });
  try {
    // Not a dry run, so the registration was applied.
    const registered = (await client.register(FRAUD_NODES)) as RegisterApplied;
    print();
    print(`Registered the fraud example (examples/fraud/registry.json), registry version ${registered.registryVersion}:`);
    print(`  ${registered.registeredDescriptors.join(", ")}`);

    print();
    const paced = options.rate === undefined ? "" : ` at up to ${COUNT.format(options.rate)} events/s`;
    print(
      `Streaming ${COUNT.format(generator.total)} synthetic events (seed ${options.seed}, ${generator.bursts} account-takeover ` +
        `burst${generator.bursts === 1 ? "" : "s"}) over TCP, msgpack, pipelined${paced}:`,
    );
    const pump = new EventPump({ client, rate: options.rate, signal });
    const progress = startProgress({ out, total: generator.total, unit: "events", read: () => pump.acknowledged });
    let result;
    try {
      result = await pump.run(() => generator.next());
    } finally {
      progress.stop();
    }
    const { transactions, logins } = generator.counts();
    const seconds = result.elapsedMs / 1000;
    if (result.aborted) {
      print(`Interrupted after ${COUNT.format(result.acknowledged)} events.`);
      return;
    }
    print(
      `Pushed ${COUNT.format(result.acknowledged)} events (${COUNT.format(transactions)} transactions, ${COUNT.format(logins)} logins) ` +
        `in ${seconds.toFixed(2)} s: ${COUNT.format(Math.round(result.acknowledged / seconds))} events/s.`,
    );

    const victims = generator.burstUsers();
    print(`Account takeovers hit ${victims.map((v) => v.userId).join(", ")}.`);

    const scored: readonly (readonly [string, ScoredUser])[] = [
      ["Most active user", generator.hottestUser()],
      ["Account-takeover victim", victims[0]],
      ["New user", generator.coldUser()],
    ];
    for (const [label, user] of scored) {
      const reply = await getFeatures(httpUrl, { userId: user.userId, merchantId: user.merchantId, amount: SCORED_AMOUNT });
      print();
      print(
        `${label} ${user.userId} (${COUNT.format(user.transactions)} transactions): GetFeatures for a ` +
          `$${SCORED_AMOUNT.toFixed(2)} transaction at ${user.merchantId}`,
      );
      print(renderFeatureTable(reply));
    }
    const tileStart = Math.floor(Date.now() / TILE_INTERVAL_MS) * TILE_INTERVAL_MS;
    print();
    print("Features ending in _10m are tiled windows, as in Tecton: only complete 10-minute tiles count, so the");
    print(`events since ${isoSeconds(tileStart)} appear in them at ${isoSeconds(tileStart + TILE_INTERVAL_MS)}, their next effective time.`);
    print("Windows without an interval, and lifetime features, include every event at once.");

    print();
    print("Query the server yourself:");
    const hottest = scored[0][1];
    for (const { title, command } of queryCommands({ httpUrl, adminUrl, transaction: { userId: hottest.userId, merchantId: hottest.merchantId, amount: SCORED_AMOUNT } })) {
      print(`  # ${title}`);
      print(`  ${command}`);
    }
    if (!options.stay || signal.aborted) return;
    print();
    print(`Serving on ${httpUrl} (TCP ${formatAddress(tcp)}, admin ${adminUrl}). Press Ctrl-C to stop.`);
    await once(signal, "abort");
  } finally {
    await client.close();
    await server.close();
  }
}

/** RFC 3339 in UTC without milliseconds, as Tecton writes whole-second effective times. */
function isoSeconds(ms: number): string {
  return new Date(ms).toISOString().replace(".000Z", "Z");
}
