/**
 * The Connect baseline: the least a connect-node server does to answer FeatureService.GetFeatures.
 * Run as a child by empty-connect.ts. Its GetFeatures handler returns one fixed GetFeaturesResponse
 * (BENCH_FIXED_RESPONSE: the protobuf JSON of a reply Tessera gave, so both servers serialise the
 * same message) and does nothing else; connect-node still decodes every request and encodes every
 * reply, for Connect JSON, Connect binary and gRPC alike, exactly as for Tessera's service.
 *
 * It listens twice, HTTP/1.1 and h2c (prior knowledge), both through connectNodeAdapter with its
 * defaults. Ready line: `empty-connect ready http=HOST:PORT h2c=HOST:PORT`.
 */
import * as http from "node:http";
import * as http2 from "node:http2";
import type { AddressInfo } from "node:net";
import { fromJson, type JsonValue } from "@bufbuild/protobuf";
import { connectNodeAdapter } from "@connectrpc/connect-node";
import { FeatureService, GetFeaturesResponseSchema } from "../../gen/tessera/featureservice/v1/feature_service_pb.ts";

const fixed = process.env["BENCH_FIXED_RESPONSE"];
if (fixed === undefined) throw new Error("BENCH_FIXED_RESPONSE (the GetFeaturesResponse as protobuf JSON) is required");
const response = fromJson(GetFeaturesResponseSchema, JSON.parse(fixed) as JsonValue);

const handler = connectNodeAdapter({
  routes: (router) => router.service(FeatureService, { getFeatures: () => response }),
});
const h1 = http.createServer({ noDelay: true, keepAliveTimeout: 65_000 }, handler);
const h2 = http2.createServer({}, handler);

function listen(server: http.Server | http2.Http2Server): Promise<string> {
  return new Promise((resolve, reject) => {
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const a = server.address() as AddressInfo;
      resolve(`${a.address}:${a.port}`);
    });
  });
}

const [h1Addr, h2Addr] = await Promise.all([listen(h1), listen(h2)]);
process.stdout.write(`empty-connect ready http=${h1Addr} h2c=${h2Addr}\n`);
process.on("SIGTERM", () => process.exit(0));
