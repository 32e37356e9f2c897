#!/usr/bin/env node
// Runs the TypeScript CLI on this Node with type transformation enabled, forwarding signals so
// SIGTERM/SIGINT reach the server's graceful shutdown.
import { spawn } from "node:child_process";
import { fileURLToPath } from "node:url";

const cli = fileURLToPath(new URL("../src/cli/main.ts", import.meta.url));
const child = spawn(
  process.execPath,
  ["--experimental-transform-types", "--disable-warning=ExperimentalWarning", cli, ...process.argv.slice(2)],
  { stdio: "inherit" },
);
for (const signal of ["SIGTERM", "SIGINT"]) process.on(signal, () => child.kill(signal));
child.on("exit", (code, signal) => process.exit(code ?? (signal ? 1 : 0)));
