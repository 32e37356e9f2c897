import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { spawnServer, type SpawnedServer } from "../helpers/spawn-server.ts";

const run = promisify(execFile);
const ROOT = fileURLToPath(new URL("../..", import.meta.url));
const BUF = `${ROOT}node_modules/.bin/buf`;

const EXPECTED_SERVICES = [
  "grpc.health.v1.Health",
  "grpc.reflection.v1.ServerReflection",
  "grpc.reflection.v1alpha.ServerReflection",
  "tessera.auth.v1.AuthService",
  "tessera.dataplane.v1.DataPlaneService",
  "tessera.featureservice.v1.FeatureService",
  "tessera.secrets.v1.SecretsService",
  "tessera.workspace.v1.WorkspaceService",
];

let server: SpawnedServer;
before(async () => {
  server = await spawnServer();
});
after(async () => {
  await server.stop();
});

async function bufCurl(args: string[]): Promise<string> {
  const { stdout } = await run(BUF, ["curl", ...args], { cwd: ROOT, timeout: 60_000 });
  return stdout;
}

describe("buf curl", () => {
  for (const protocol of ["grpc", "connect"]) {
    test(`--list-services through reflection (${protocol}, h2c)`, async () => {
      const out = await bufCurl(["--protocol", protocol, "--http2-prior-knowledge", "--list-services", server.url]);
      assert.deepEqual(out.trim().split("\n").sort(), EXPECTED_SERVICES);
    });
  }

  test("--list-services with --schema proto", async () => {
    const out = await bufCurl(["--schema", "proto", "--list-services", server.url]);
    const listed = out.trim().split("\n");
    for (const s of EXPECTED_SERVICES.filter((n) => n.startsWith("tessera."))) assert.ok(listed.includes(s), s);
  });

  test("--list-methods through reflection resolves every Tessera method", async () => {
    const out = await bufCurl(["--http2-prior-knowledge", "--list-methods", server.url]);
    assert.ok(out.includes("tessera.dataplane.v1.DataPlaneService/PushStream"), out);
  });

  test("calls health Check through reflection (as in the README)", async () => {
    const out = await bufCurl(["--protocol", "grpc", "--http2-prior-knowledge", "-d", "{}", `${server.url}/grpc.health.v1.Health/Check`]);
    assert.deepEqual(JSON.parse(out), { status: "SERVING" });
  });
});
