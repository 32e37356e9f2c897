/**
 * Brings a Tessera child (started with --test-mode) to the state the serving bench reads: the
 * service registered, every entity preloaded through `/push_batch` with the clock pinned inside one
 * day, then the clock moved past the end of that day's tile so every window holds the events.
 */
import { fromBinary, toJson } from "@bufbuild/protobuf";
import { createClient } from "@connectrpc/connect";
import { createGrpcTransport } from "@connectrpc/connect-node";
import { FeatureService, GetFeaturesRequestSchema, GetFeaturesResponseSchema } from "../../gen/tessera/featureservice/v1/feature_service_pb.ts";
import type { TesseraServer } from "../lib/tessera-server.ts";
import { pushBatches, register } from "../lib/tessera-setup.ts";
import { REST_PATH, RPC_PATH } from "./cases.ts";
import type { EmptyConnect } from "./empty-connect.ts";
import { FEATURES_PER_TABLE, preloadBodies, PUSH_AT_MS, READ_AT_MS, registerBody, TABLES, type GetFeaturesWorkload, type MetadataMode } from "./workload.ts";

async function post(server: TesseraServer, path: string, body: string | Buffer): Promise<string> {
  return (await postTo(server.url, path, "application/json", body)).toString("utf8");
}

async function postTo(url: string, path: string, contentType: string, body: string | Buffer): Promise<Buffer> {
  const res = await fetch(`${url}${path}`, { method: "POST", headers: { "content-type": contentType }, body });
  const bytes = Buffer.from(await res.arrayBuffer());
  if (res.status !== 200) throw new Error(`POST ${url}${path}: ${res.status} ${bytes.toString("utf8").slice(0, 300)}`);
  return bytes;
}

export interface Prepared {
  /** Tessera's Connect JSON reply to `sampleRequest`: what the empty Connect handler returns. */
  readonly connectJsonReply: string;
}

export async function prepareTessera(server: TesseraServer, entities: number, sampleRequest: Buffer): Promise<Prepared> {
  await register(server.url, registerBody());
  await post(server, "/test/clock", JSON.stringify({ now_ms: PUSH_AT_MS }));
  await pushBatches(server.url, preloadBodies(entities), 1);
  await post(server, "/test/clock", JSON.stringify({ now_ms: READ_AT_MS }));
  const connectJsonReply = await post(server, RPC_PATH, sampleRequest);
  return { connectJsonReply };
}

/** A reply in Tecton JSON (REST) or protobuf JSON (Connect): every feature present, named when asked. */
function checkJson(where: string, reply: unknown, metadata: MetadataMode): void {
  const r = reply as { result?: { features?: unknown[] }; metadata?: { features?: { name?: string }[] } };
  const features = TABLES * FEATURES_PER_TABLE;
  const values = r.result?.features ?? [];
  if (values.length !== features || values.some((v) => v === null)) throw new Error(`${where}: expected ${features} present values, got ${JSON.stringify(reply).slice(0, 300)}`);
  const names = r.metadata?.features?.map((f) => f.name) ?? [];
  if (metadata === "names" && (names.length !== features || names.some((n) => n === undefined))) throw new Error(`${where}: expected ${features} names, got ${JSON.stringify(reply).slice(0, 300)}`);
}

/**
 * Every wire the bench loads is checked once before the load runs (the load generators only check
 * statuses): REST, Connect JSON and Connect binary replies of Tessera and of the empty handler, and
 * gRPC through connect-node's own client, so the pre-framed h2 load is known to speak the same RPC.
 */
export async function checkReplies(tesseraUrl: string, empty: EmptyConnect, work: GetFeaturesWorkload, metadata: MetadataMode): Promise<void> {
  const json = work.jsonBodies[0]!;
  const proto = work.protoBodies[0]!;
  const asJson = (b: Buffer): unknown => JSON.parse(b.toString("utf8"));
  const protoJson = (b: Buffer): unknown => toJson(GetFeaturesResponseSchema, fromBinary(GetFeaturesResponseSchema, b));
  checkJson("REST", asJson(await postTo(tesseraUrl, REST_PATH, "application/json", json)), metadata);
  for (const [who, url] of [["tessera", tesseraUrl], ["empty handler", empty.url]] as const) {
    checkJson(`${who} Connect JSON`, asJson(await postTo(url, RPC_PATH, "application/json", json)), metadata);
    checkJson(`${who} Connect binary`, protoJson(await postTo(url, RPC_PATH, "application/proto", proto)), metadata);
  }
  const request = fromBinary(GetFeaturesRequestSchema, proto);
  for (const [who, url] of [["tessera", tesseraUrl], ["empty handler", empty.h2cUrl]] as const) {
    const client = createClient(FeatureService, createGrpcTransport({ baseUrl: url }));
    const reply = await client.getFeatures(request);
    checkJson(`${who} gRPC`, toJson(GetFeaturesResponseSchema, reply), metadata);
  }
}
