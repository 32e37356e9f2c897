/**
 * Push events and read a row over the framed TCP fast path with the TypeScript client (msgpack,
 * pipelined). Usage: node --experimental-transform-types examples/tcp/push-and-get.ts [HOST:PORT]
 * against a server where the README's `txn` / `user_txn` example is registered.
 */
import { createClient } from "../../src/client/index.ts";

const [host = "127.0.0.1", port = "8081"] = (process.argv[2] ?? "127.0.0.1:8081").split(":");
const client = createClient({ transport: "tcp", host, port: Number(port) });
try {
  // Pipelined: all three frames are written at once; replies come back in order.
  await Promise.all([5, 7.5, 12].map((amount) => client.push("txn", { user: "bob", amount })));
  console.log(JSON.stringify(await client.get("user_txn", "bob", { features: ["n", "total_1h"] })));
} finally {
  await client.close();
}
