import { Command, InvalidArgumentError, Option } from "commander";
import { ConfigError, DEFAULT_CONFIG, formatAddress, resolveConfig, type LogLevel } from "../config.ts";
import { runDemo } from "../demo/run-demo.ts";
import { DEFAULT_USERS, MAX_USERS, MIN_EVENTS, MIN_USERS } from "../demo/transaction-generator.ts";
import { createLogger } from "../logger.ts";

const DEFAULT_EVENTS = 200_000;
const DEFAULT_SEED = 42;

/**
 * `tessera demo`: the fraud example end to end on an embedded server (src/demo/run-demo.ts). The
 * server is memory-only with auth and test mode off; it takes only the listen addresses from the
 * command line (no env, no config file), so a demo never touches a real deployment's data.
 */
export function demoCommand(): Command {
  return new Command("demo")
    .description(
      "Run an embedded server, register the fraud example (examples/fraud/registry.json), stream synthetic " +
        "transactions over TCP, print features from GetFeatures and the commands to query the server, then serve until Ctrl-C",
    )
    .addOption(new Option("--http <host:port>", "Connect + REST listener; port 0 picks a free port").default(formatAddress(DEFAULT_CONFIG.http)))
    .addOption(new Option("--tcp <host:port>", "framed TCP listener (the events are streamed over it)").default(formatAddress(DEFAULT_CONFIG.tcp!)))
    .addOption(new Option("--admin <host:port>", "admin listener: /health /ready /metrics /registry").default(formatAddress(DEFAULT_CONFIG.admin)))
    .addOption(new Option("--events <n>", `synthetic events to stream, at least ${MIN_EVENTS}`).default(DEFAULT_EVENTS).argParser(integerIn(MIN_EVENTS)))
    .addOption(new Option("--users <n>", `distinct users (zipfian activity), ${MIN_USERS} to ${MAX_USERS}`).default(DEFAULT_USERS).argParser(integerIn(MIN_USERS, MAX_USERS)))
    .addOption(new Option("--rate <events/s>", "stream at most this many events per second (default: as fast as the server acknowledges)").argParser(positiveNumber))
    .addOption(new Option("--seed <n>", "seed of the synthetic stream (0 to 4294967295): the same seed gives the same events").default(DEFAULT_SEED).argParser(integerIn(0, 0xffff_ffff)))
    .addOption(new Option("--no-stay", "exit after printing instead of serving until Ctrl-C"))
    .addOption(
      new Option("--log-level <level>", "server logs on stderr")
        .choices(["fatal", "error", "warn", "info", "debug", "trace", "silent"])
        .default("warn"),
    )
    .action(async (opts: { http: string; tcp: string; admin: string; events: number; users: number; rate?: number; seed: number; stay: boolean; logLevel: LogLevel }) => {
      let resolved;
      try {
        resolved = resolveConfig({
          flags: { http: opts.http, tcp: opts.tcp, admin: opts.admin, memoryOnly: true, auth: "off", testMode: false, logLevel: opts.logLevel },
        });
      } catch (e) {
        if (e instanceof ConfigError) fail(2, e.message);
        throw e;
      }
      const { tcp } = resolved;
      if (tcp === null) fail(2, "--tcp cannot be off: the demo streams its events over the framed TCP listener");
      const config = { ...resolved, tcp };
      // The first Ctrl-C ends the demo gracefully; the handlers are `once`, so a second one kills it at once.
      const stop = new AbortController();
      process.once("SIGINT", () => stop.abort());
      process.once("SIGTERM", () => stop.abort());
      const logger = createLogger(config.logLevel);
      try {
        await runDemo({
          config,
          logger,
          events: opts.events,
          users: opts.users,
          seed: opts.seed,
          rate: opts.rate,
          stay: opts.stay,
          out: process.stdout,
          signal: stop.signal,
        });
      } catch (e) {
        logger.flush();
        fail(1, (e as Error).message);
      }
      logger.flush();
      process.exit(0);
    });
}

function fail(code: number, message: string): never {
  process.stderr.write(`tessera demo: ${message}\n`);
  process.exit(code);
}

function integerIn(min: number, max = Number.MAX_SAFE_INTEGER): (value: string) => number {
  const range = max === Number.MAX_SAFE_INTEGER ? `of at least ${min}` : `from ${min} to ${max}`;
  return (value) => {
    const n = Number(value);
    if (!/^\d+$/.test(value.trim()) || n < min || n > max) throw new InvalidArgumentError(`expected an integer ${range}`);
    return n;
  };
}

function positiveNumber(value: string): number {
  const n = Number(value);
  if (value.trim() === "" || !Number.isFinite(n) || n <= 0) throw new InvalidArgumentError("expected a positive number");
  return n;
}
