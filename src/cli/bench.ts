import { spawn } from "node:child_process";
import { existsSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { Command } from "commander";

/**
 * `tessera bench`: runs the benchmark suite (bench/suite/main.ts) in a child Node process with the
 * same TypeScript flags, passing every argument through (`tessera bench --quick`, `tessera bench
 * --help` for the suite's own options). The suite lives in bench/, which product code does not
 * import, so this works from a source checkout (as `npm run bench` does), not from a package
 * without bench/.
 */
const SUITE = fileURLToPath(new URL("../../bench/suite/main.ts", import.meta.url));
const TS_FLAGS = ["--experimental-transform-types", "--disable-warning=ExperimentalWarning"];

export function benchCommand(): Command {
  return new Command("bench")
    .description(
      "Run the benchmark suite: every case against a freshly started server next to an in-run baseline (bare echo servers, " +
        "an empty Connect handler, Redis); prints one table and writes bench/results/<ISO time>.json and .md. --quick: smoke run (< 2 min); --help: the suite's options",
    )
    .helpOption(false)
    .allowUnknownOption(true)
    .allowExcessArguments(true)
    .argument("[args...]", "arguments for the suite (see tessera bench --help)")
    .action(async (args: string[]) => {
      if (!existsSync(SUITE)) {
        process.stderr.write(`tessera bench: ${SUITE} not found: the suite runs from a source checkout of Tessera\n`);
        process.exit(2);
      }
      const child = spawn(process.execPath, [...TS_FLAGS, SUITE, ...args], { stdio: "inherit" });
      // The suite stops its servers on SIGINT/SIGTERM; forward them rather than die first.
      const forward = (signal: NodeJS.Signals) => () => child.kill(signal);
      process.on("SIGINT", forward("SIGINT"));
      process.on("SIGTERM", forward("SIGTERM"));
      const code = await new Promise<number>((resolve) => child.on("exit", (c, s) => resolve(c ?? (s !== null ? 130 : 1))));
      process.exit(code);
    });
}
