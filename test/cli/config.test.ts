import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { ConfigError, DEFAULT_CONFIG, OPTION_SPECS, parseAddress, resolveConfig } from "../../src/config.ts";
import { NODE_ARGS } from "../helpers/spawn-server.ts";

const run = promisify(execFile);
const CLI = fileURLToPath(new URL("../../src/cli/main.ts", import.meta.url));

function yaml(text: string): string {
  const dir = mkdtempSync(join(tmpdir(), "tessera-config-"));
  const path = join(dir, "tessera.yaml");
  writeFileSync(path, text);
  return path;
}

describe("configuration", () => {
  test("defaults are DESIGN §3", () => {
    const c = resolveConfig({});
    assert.deepEqual(c, DEFAULT_CONFIG);
    assert.deepEqual(c.http, { host: "127.0.0.1", port: 8080 });
    assert.deepEqual(c.tcp, { host: "127.0.0.1", port: 8081 });
    assert.deepEqual(c.admin, { host: "127.0.0.1", port: 8090 });
    assert.equal(c.dataDir, "./data");
    assert.equal(c.fsync, "interval");
    assert.equal(c.auth, "required");
    assert.equal(c.memoryOnly, false);
    assert.equal(c.testMode, false);
    assert.equal(c.snapshotIntervalMs, 30_000);
    assert.equal(c.snapshotEvery, 1_000_000);
    assert.equal(c.snapshotKeep, 2);
  });

  test("integers: snapshot options from flag, env and YAML", () => {
    const c = resolveConfig({ flags: { snapshotKeep: "5" }, env: { TESSERA_SNAPSHOT_EVERY: "0" }, configFile: yaml("snapshot_interval_ms: 1500\n") });
    assert.equal(c.snapshotKeep, 5);
    assert.equal(c.snapshotEvery, 0);
    assert.equal(c.snapshotIntervalMs, 1500);
  });

  test("precedence: flag > env > file > default", () => {
    const file = yaml("http: 127.0.0.1:1111\nadmin: 127.0.0.1:2222\nfsync: always\ndata_dir: /from/file\n");
    const env = { TESSERA_HTTP: "127.0.0.1:3333", TESSERA_FSYNC: "off" };
    const c = resolveConfig({ configFile: file, env, flags: { http: "127.0.0.1:4444" } });
    assert.equal(c.http.port, 4444); // flag beats env and file
    assert.equal(c.fsync, "off"); // env beats file
    assert.equal(c.admin.port, 2222); // file beats default
    assert.equal(c.dataDir, "/from/file");
    assert.equal(c.auth, "required"); // default
  });

  test("every option has a flag, an env var and a YAML key", () => {
    const c = resolveConfig({ configFile: yaml("") });
    for (const spec of OPTION_SPECS) {
      assert.match(spec.env, /^TESSERA_[A-Z_]+$/);
      assert.match(spec.yaml, /^[a-z_]+$/);
      assert.ok(spec.key in c);
    }
  });

  test("booleans from env and YAML; tcp off; port 0", () => {
    const c = resolveConfig({
      env: { TESSERA_MEMORY_ONLY: "1", TESSERA_TEST_MODE: "true", TESSERA_TCP: "off", TESSERA_HTTP: "127.0.0.1:0" },
    });
    assert.equal(c.memoryOnly, true);
    assert.equal(c.testMode, true);
    assert.equal(c.tcp, null);
    assert.equal(c.http.port, 0);
    const f = resolveConfig({ configFile: yaml("memory_only: true\ntest_mode: false\n") });
    assert.equal(f.memoryOnly, true);
    assert.equal(f.testMode, false);
  });

  test("addresses: host:port, [ipv6]:port, :port", () => {
    assert.deepEqual(parseAddress("0.0.0.0:80"), { host: "0.0.0.0", port: 80 });
    assert.deepEqual(parseAddress("[::1]:9"), { host: "::1", port: 9 });
    assert.deepEqual(parseAddress(":7"), { host: "0.0.0.0", port: 7 });
  });

  for (const [name, input, pattern] of [
    ["bad address", { flags: { http: "nonsense" } }, /not HOST:PORT/],
    ["port out of range", { flags: { http: "127.0.0.1:70000" } }, /out of range/],
    ["bad enum", { env: { TESSERA_FSYNC: "sometimes" } }, /not one of always\|interval\|off/],
    ["bad boolean", { env: { TESSERA_MEMORY_ONLY: "maybe" } }, /not a boolean/],
    ["bad integer", { env: { TESSERA_SNAPSHOT_EVERY: "1e6" } }, /not an integer >= 0/],
    ["integer below its minimum", { flags: { snapshotKeep: "0" } }, /flag --snapshot-keep: "0" is not an integer >= 1/],
    ["unknown YAML key", { configFile: yaml("htpp: 1.2.3.4:5\n") }, /unknown key "htpp"/],
    ["YAML that is not a mapping", { configFile: yaml("- a\n- b\n") }, /must be a mapping/],
    ["missing config file", { configFile: "/no/such/file.yaml" }, /cannot read config file/],
    ["auth off on a non-loopback address", { flags: { auth: "off", http: "0.0.0.0:8080" } }, /--auth off is for local use only/],
  ] as const) {
    test(`refuses: ${name}`, () => {
      assert.throws(() => resolveConfig(input as Parameters<typeof resolveConfig>[0]), (e: unknown) => {
        assert.ok(e instanceof ConfigError);
        assert.match(e.message, pattern);
        return true;
      });
    });
  }

  test("auth off on loopback is allowed", () => {
    const c = resolveConfig({ flags: { auth: "off", http: "127.0.0.1:0", admin: "[::1]:0", tcp: "localhost:0" } });
    assert.equal(c.auth, "off");
  });
});

describe("CLI", () => {
  test("`tessera serve --help` documents every option", async () => {
    const { stdout } = await run(process.execPath, [...NODE_ARGS, CLI, "serve", "--help"]);
    for (const spec of OPTION_SPECS) {
      assert.ok(stdout.includes(`--${spec.yaml.replaceAll("_", "-")}`), `flag for ${spec.key}`);
      assert.ok(stdout.includes(spec.env), `env ${spec.env}`);
    }
    for (const s of ["--config", "TESSERA_ADMIN_KEY", "TESSERA_MASTER_KEY", "tessera ready"]) assert.ok(stdout.includes(s), s);
  });

  test("refused configuration exits 2 with the reason on stderr", async () => {
    await assert.rejects(
      run(process.execPath, [...NODE_ARGS, CLI, "serve", "--auth", "off", "--http", "0.0.0.0:0"]),
      (e: { code: number; stderr: string }) => {
        assert.equal(e.code, 2);
        assert.match(e.stderr, /refusing to listen on non-loopback 0\.0\.0\.0:0/);
        return true;
      },
    );
  });

  test("a port already in use fails start-up with exit 1", async () => {
    const net = await import("node:net");
    const blocker = net.createServer().listen(0, "127.0.0.1");
    await new Promise((r) => blocker.once("listening", r));
    const port = (blocker.address() as { port: number }).port;
    try {
      await assert.rejects(
        run(process.execPath, [...NODE_ARGS, CLI, "serve", "--memory-only", "--auth", "off", "--http", `127.0.0.1:${port}`, "--admin", "127.0.0.1:0", "--tcp", "off"]),
        (e: { code: number; stderr: string }) => {
          assert.equal(e.code, 1);
          assert.match(e.stderr, /EADDRINUSE/);
          return true;
        },
      );
    } finally {
      blocker.close();
    }
  });
});
