import { Command, Option } from "commander";
import { ConfigError, DEFAULT_CONFIG, formatAddress, resolveConfig, type RawOptions } from "../config.ts";
import { createLogger } from "../logger.ts";
import { startServer } from "../server.ts";
import { SERVER_VERSION } from "../version.ts";
import { demoCommand } from "./demo.ts";

const program = new Command("tessera").description("Tessera real-time feature platform").version(SERVER_VERSION);

program
  .command("serve")
  .description("Run the Tessera server (Connect + REST on --http, framed TCP on --tcp, admin on --admin)")
  .addOption(new Option("--http <host:port>", `Connect + REST listener, HTTP/1.1 and h2c on one port; port 0 picks a free port [env TESSERA_HTTP] (default ${formatAddress(DEFAULT_CONFIG.http)})`))
  .addOption(new Option("--tcp <host:port|off>", "framed TCP listener, or off [env TESSERA_TCP] (default 127.0.0.1:8081)"))
  .addOption(new Option("--admin <host:port>", `admin listener: /health /ready /metrics /registry [env TESSERA_ADMIN] (default ${formatAddress(DEFAULT_CONFIG.admin)})`))
  .addOption(new Option("--data-dir <dir>", "command log, snapshots and key files [env TESSERA_DATA_DIR] (default ./data)"))
  .addOption(new Option("--memory-only", "keep state in memory only: no log, no snapshots [env TESSERA_MEMORY_ONLY=1]"))
  .addOption(new Option("--fsync <mode>", "log durability: always | interval (fsync every 10 ms) | off [env TESSERA_FSYNC] (default interval)").choices(["always", "interval", "off"]))
  .addOption(new Option("--snapshot-interval-ms <ms>", "snapshot at most this often when state changed; 0 disables periodic snapshots [env TESSERA_SNAPSHOT_INTERVAL_MS] (default 30000)"))
  .addOption(new Option("--snapshot-every <commands>", "also snapshot after this many logged commands; 0 disables [env TESSERA_SNAPSHOT_EVERY] (default 1000000)"))
  .addOption(new Option("--snapshot-keep <n>", "snapshots kept on disk; the log is reclaimed up to the oldest [env TESSERA_SNAPSHOT_KEEP] (default 2)"))
  .addOption(new Option("--auth <mode>", "required | off (off is refused on non-loopback addresses) [env TESSERA_AUTH] (default required)").choices(["required", "off"]))
  .addOption(new Option("--test-mode", "enable /reset and the test clock [env TESSERA_TEST_MODE=1]"))
  .addOption(new Option("--log-level <level>", "fatal | error | warn | info | debug | trace | silent [env TESSERA_LOG_LEVEL] (default info)"))
  .addOption(new Option("--config <file>", "YAML file with the same options (keys: http, tcp, admin, data_dir, memory_only, fsync, snapshot_interval_ms, snapshot_every, snapshot_keep, auth, test_mode, log_level); precedence: flag > env > file > default"))
  .addHelpText(
    "after",
    "\nSecrets: TESSERA_ADMIN_KEY (bootstrap admin API key; else generated into <data-dir>/admin.key, 0600)\n" +
      "         TESSERA_MASTER_KEY (base64 of 32 bytes; else generated into <data-dir>/master.key, 0600)\n" +
      "On start-up the server prints one line on stdout: tessera ready http=HOST:PORT tcp=HOST:PORT admin=HOST:PORT",
  )
  .action(async (opts: Record<string, string | boolean | undefined>) => {
    const flags: RawOptions = {
      http: opts["http"] as string | undefined,
      tcp: opts["tcp"] as string | undefined,
      admin: opts["admin"] as string | undefined,
      dataDir: opts["dataDir"] as string | undefined,
      memoryOnly: opts["memoryOnly"] as boolean | undefined,
      fsync: opts["fsync"] as string | undefined,
      snapshotIntervalMs: opts["snapshotIntervalMs"] as string | undefined,
      snapshotEvery: opts["snapshotEvery"] as string | undefined,
      snapshotKeep: opts["snapshotKeep"] as string | undefined,
      auth: opts["auth"] as string | undefined,
      testMode: opts["testMode"] as boolean | undefined,
      logLevel: opts["logLevel"] as string | undefined,
    };
    let config;
    try {
      config = resolveConfig({ flags, env: process.env, configFile: opts["config"] as string | undefined });
    } catch (e) {
      if (e instanceof ConfigError) {
        process.stderr.write(`tessera: ${e.message}\n`);
        process.exit(2);
      }
      throw e;
    }
    const logger = createLogger(config.logLevel);
    let server: Awaited<ReturnType<typeof startServer>> | undefined;
    const stop = (signal: string): void => {
      logger.info({ signal }, "signal received");
      if (server === undefined) process.exit(0);
      server.close().then(
        () => process.exit(0),
        (e: unknown) => {
          logger.error({ err: e }, "shutdown failed");
          process.exit(1);
        },
      );
    };
    process.once("SIGTERM", () => stop("SIGTERM"));
    process.once("SIGINT", () => stop("SIGINT"));
    try {
      server = await startServer({ config, logger });
    } catch (e) {
      logger.fatal({ err: e }, "start-up failed");
      logger.flush();
      process.stderr.write(`tessera: start-up failed: ${(e as Error).message}\n`);
      process.exit(1);
    }
    // Handlers were installed before the ready line: whoever reads it may signal at once.
    process.stdout.write(server.readyLine + "\n");
  });

program.addCommand(demoCommand());
program.addCommand((await import("./bench.ts")).benchCommand());

await program.parseAsync(process.argv);
