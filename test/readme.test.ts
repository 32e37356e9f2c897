import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { spawnServer, type SpawnedServer } from "./helpers/spawn-server.ts";

const run = promisify(execFile);
const ROOT = fileURLToPath(new URL("..", import.meta.url));

/** Each `<!-- example -->` in the README: a sh block, then a json or text block with its expected output. */
function examples(): { command: string; kind: string; expected: string }[] {
  const readme = readFileSync(`${ROOT}README.md`, "utf8");
  const re = /<!-- example -->\n```sh\n([\s\S]*?)```\n```(json|text)\n([\s\S]*?)```/g;
  return [...readme.matchAll(re)].map((m) => ({ command: m[1] as string, kind: m[2] as string, expected: m[3] as string }));
}

let server: SpawnedServer;
before(async () => {
  server = await spawnServer();
});
after(async () => {
  await server.stop();
});

test("the README has runnable examples", () => {
  assert.ok(examples().length >= 5);
});

for (const ex of examples()) {
  test(`README example: ${ex.command.trim()}`, async () => {
    // The README shows the default ports; the test server runs on free ones.
    const command = ex.command
      .replaceAll("127.0.0.1:8080", `${server.http.host}:${server.http.port}`)
      .replaceAll("127.0.0.1:8090", `${server.admin.host}:${server.admin.port}`)
      .replaceAll("127.0.0.1:8081", `${server.tcp?.host}:${server.tcp?.port}`);
    const { stdout } = await run("bash", ["-euo", "pipefail", "-c", command], {
      cwd: ROOT,
      timeout: 60_000,
      env: { ...process.env, PATH: `${ROOT}node_modules/.bin:${process.env["PATH"]}` },
    });
    if (ex.kind === "json") assert.deepEqual(JSON.parse(stdout), JSON.parse(ex.expected));
    else assert.equal(stdout.trim(), ex.expected.trim());
  });
}
