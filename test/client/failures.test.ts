import assert from "node:assert/strict";
import { once } from "node:events";
import { createServer, type AddressInfo, type Server, type Socket } from "node:net";
import { after, before, describe, test } from "node:test";
import { createClient, type ClientOptions } from "../../src/client/index.ts";
import { clientError } from "./fixtures.ts";

/**
 * Failures that never reach a Tessera server: nothing listening, and a peer that accepts connections
 * but never answers (a hung server). Each transport reports them with the same codes.
 */
describe("client failures without a server", () => {
  let silent: Server;
  const held: Socket[] = [];
  let silentPort: number;
  let deadPort: number;

  before(async () => {
    // Accepts and reads, never writes.
    silent = createServer((s) => {
      held.push(s);
      s.resume();
    });
    silent.listen(0, "127.0.0.1");
    await once(silent, "listening");
    silentPort = (silent.address() as AddressInfo).port;
    const probe = createServer().listen(0, "127.0.0.1");
    await once(probe, "listening");
    deadPort = (probe.address() as AddressInfo).port;
    await new Promise((resolve) => probe.close(resolve));
  });
  after(async () => {
    for (const s of held) s.destroy();
    await new Promise((resolve) => silent.close(resolve));
  });

  function options(transport: ClientOptions["transport"], port: number): ClientOptions {
    const timeoutMs = 300;
    if (transport === "tcp") return { transport, host: "127.0.0.1", port, timeoutMs };
    return { transport, url: `http://127.0.0.1:${port}`, timeoutMs };
  }

  for (const transport of ["http", "tcp", "connect"] as const) {
    test(`${transport}: nothing listening is unavailable`, async () => {
      const client = createClient(options(transport, deadPort));
      try {
        const e = await clientError(() => client.ping());
        assert.equal(e.code, "unavailable");
        assert.equal(e.transport, transport);
      } finally {
        await client.close();
      }
    });

    test(`${transport}: no reply within the timeout is deadline_exceeded`, async () => {
      const client = createClient(options(transport, silentPort));
      try {
        const started = performance.now();
        const e = await clientError(() => client.ping());
        assert.equal(e.code, "deadline_exceeded");
        assert.ok(performance.now() - started >= 250, "the deadline was waited for");
      } finally {
        await client.close();
      }
    });

    test(`${transport}: close() fails the calls in flight, and a closed client refuses calls`, async () => {
      const hung = createClient(options(transport, silentPort));
      const inFlight = clientError(() => hung.ping());
      await new Promise((resolve) => setTimeout(resolve, 50));
      await hung.close();
      const e1 = await inFlight;
      assert.equal(e1.code, "unavailable");
      assert.match(e1.message, /the client was closed/);

      const client = createClient(options(transport, deadPort));
      await client.close();
      await client.close();
      const e = await clientError(() => client.ping());
      assert.equal(e.code, "unavailable");
      assert.match(e.message, /the client is closed/);
    });
  }

  test("tcp: an overdue reply drops the connection, failing the requests pipelined behind it", async () => {
    const client = createClient(options("tcp", silentPort));
    try {
      const [first, second] = await Promise.allSettled([client.ping(), client.ping()]);
      assert.equal((first as PromiseRejectedResult).reason.code, "deadline_exceeded");
      const behind = (second as PromiseRejectedResult).reason;
      assert.equal(behind.code, "unavailable");
      assert.match(behind.message, /overdue/);
    } finally {
      await client.close();
    }
  });
});
