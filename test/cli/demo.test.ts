import assert from "node:assert/strict";
import { spawn, type ChildProcess } from "node:child_process";
import { once } from "node:events";
import { describe, test } from "node:test";
import { fileURLToPath } from "node:url";
import { NODE_ARGS } from "../helpers/spawn-server.ts";

/** `tessera demo` end to end, as a user runs it: the real CLI as a child process, on free ports. */

const CLI = fileURLToPath(new URL("../../src/cli/main.ts", import.meta.url));
const FREE_PORTS = ["--http", "127.0.0.1:0", "--tcp", "127.0.0.1:0", "--admin", "127.0.0.1:0"];
/** A guard against a hung child, not a timing assertion. */
const GUARD = { timeout: 180_000 };

interface Demo {
  readonly child: ChildProcess;
  stdout(): string;
  stderr(): string;
  /** Resolves once stdout contains `text`; rejects if the demo exits first. */
  waitFor(text: string): Promise<void>;
  exited(): Promise<number | null>;
}

function startDemo(args: string[]): Demo {
  const child = spawn(process.execPath, [...NODE_ARGS, CLI, "demo", ...FREE_PORTS, ...args], { stdio: ["ignore", "pipe", "pipe"] });
  let out = "";
  let err = "";
  child.stdout!.on("data", (c: Buffer) => (out += c.toString()));
  child.stderr!.on("data", (c: Buffer) => (err += c.toString()));
  const exit = once(child, "exit").then(([code]) => code as number | null);
  return {
    child,
    stdout: () => out,
    stderr: () => err,
    exited: () => exit,
    waitFor(text) {
      return new Promise((resolve, reject) => {
        const check = (): void => {
          if (!out.includes(text)) return;
          child.stdout!.off("data", check);
          resolve();
        };
        child.stdout!.on("data", check);
        exit.then((code) => reject(new Error(`the demo exited with ${code} before printing ${JSON.stringify(text)}:\n${out}\n${err}`)));
        check();
      });
    },
  };
}

/** The rows of the feature table printed for the entity whose heading starts with `heading`. */
function tableOf(output: string, heading: string): Map<string, { value: string; status: string }> {
  const start = output.indexOf(`\n${heading} `);
  assert.notEqual(start, -1, `no table for "${heading}" in:\n${output}`);
  const rows = new Map<string, { value: string; status: string }>();
  const lines = output.slice(start + 1).split("\n");
  assert.match(lines[1]!, /^ {2}feature +value +status +effective time$/);
  for (const line of lines.slice(3)) {
    if (line.trim() === "") break;
    const m = /^ {2}(\S+) {2,}(.+?) {2,}(PRESENT|MISSING_DATA|UNKNOWN|TIME_OUT)(?: {2,}\S+)?$/.exec(line);
    assert.ok(m, `unexpected table row: ${JSON.stringify(line)}`);
    rows.set(m[1]!, { value: m[2]!, status: m[3]! });
  }
  return rows;
}

/** The printed GetFeatures curl command: its JSON body and URL. */
function curlCommand(output: string): { body: string; url: string } {
  const m = /^ {2}curl -s -H 'content-type: application\/json' -d '([^']+)' (http:\/\/\S+\/api\/v1\/feature-service\/get-features)$/m.exec(output);
  assert.ok(m, `no GetFeatures curl command in:\n${output}`);
  return { body: m[1]!, url: m[2]! };
}

function httpPort(output: string): string {
  const m = /^tessera ready http=127\.0\.0\.1:(\d+) tcp=127\.0\.0\.1:\d+ admin=127\.0\.0\.1:\d+$/m.exec(output);
  assert.ok(m, `no ready line in:\n${output}`);
  return m[1]!;
}

describe("tessera demo", () => {
  test("--no-stay streams, prints feature tables with PRESENT values and the commands, then exits 0", GUARD, async () => {
    const demo = startDemo(["--events", "2000", "--no-stay"]);
    const code = await demo.exited();
    const out = demo.stdout();
    assert.equal(code, 0, `exit code ${code}; stderr:\n${demo.stderr()}\nstdout:\n${out}`);
    assert.match(out, /Registered the fraud example \(examples\/fraud\/registry\.json\)/);
    assert.match(out, /^Pushed 2,000 events \(/m);

    const hottest = tableOf(out, "Most active user");
    assert.equal(hottest.get("user_velocity.txn_count_1h")?.status, "PRESENT");
    assert.match(hottest.get("user_velocity.txn_count_1h")!.value, /^[1-9]\d*$/);
    assert.equal(hottest.get("txn_checks.amount_above_1d_mean")?.status, "PRESENT", "realtime features are computed");

    // The burst's six failed logins from a new device trip the realtime check.
    const victim = tableOf(out, "Account-takeover victim");
    assert.ok(Number(victim.get("user_login.failed_logins_1h")?.value) >= 6);
    assert.deepEqual(victim.get("txn_checks.risky_login"), { value: "true", status: "PRESENT" });

    // A user never seen: no user data, but the merchant's features are there.
    const cold = tableOf(out, "New user");
    assert.deepEqual(cold.get("user_velocity.txn_count_1h"), { value: "null", status: "MISSING_DATA" });
    assert.equal(cold.get("merchant_txn.merchant_txn_count_1h")?.status, "PRESENT");

    const { url } = curlCommand(out);
    assert.equal(new URL(url).port, httpPort(out), "the command names the port actually bound");
    assert.match(out, /^ {2}npx buf curl --protocol grpc --http2-prior-knowledge -d '[^']+' http:\/\/127\.0\.0\.1:\d+\/tessera\.featureservice\.v1\.FeatureService\/GetFeatures$/m);
  });

  test("without --no-stay it serves the printed commands until SIGINT, then exits 0", GUARD, async () => {
    const demo = startDemo(["--events", "2000"]);
    await demo.waitFor("Press Ctrl-C to stop.");
    const { body, url } = curlCommand(demo.stdout());
    const res = await fetch(url, { method: "POST", headers: { "content-type": "application/json" }, body });
    assert.equal(res.status, 200);
    const reply = (await res.json()) as { result: { features: unknown[] }; metadata: { features: { name: string; status: string }[] } };
    assert.equal(reply.result.features.length, reply.metadata.features.length);
    const names = reply.metadata.features.map((f) => f.name);
    assert.ok(names.includes("txn_checks.amount_above_1d_mean"), names.join(", "));
    const i = names.indexOf("user_velocity.txn_count_1h");
    assert.equal(reply.metadata.features[i]!.status, "PRESENT");
    assert.ok(Number(reply.result.features[i]) > 0);

    demo.child.kill("SIGINT");
    assert.equal(await demo.exited(), 0, demo.stderr());
  });
});
