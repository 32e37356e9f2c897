import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { Code, ConnectError, createClient, type Client } from "@connectrpc/connect";
import { createConnectTransport } from "@connectrpc/connect-node";
import { WorkspaceService } from "../../gen/tessera/workspace/v1/workspace_service_pb.ts";
import { spawnServer, type SpawnedServer } from "../helpers/spawn-server.ts";
import { DEVICE_CLICKS, CLICK, DEVICES, getFeatures, MIN, post, push, register, setClock, T0 } from "./helpers.ts";

/** WorkspaceService over Connect, and what live and development workspaces serve. */

let server: SpawnedServer;
let client: Client<typeof WorkspaceService>;
before(async () => {
  server = await spawnServer();
  client = createClient(WorkspaceService, createConnectTransport({ baseUrl: server.url, httpVersion: "1.1" }));
  await setClock(server, T0 + MIN);
});
after(async () => {
  await server.stop();
});

const notFound = (fs: string, ws: string) =>
  `Unable to query FeatureService \`${fs}\` for workspace \`${ws}\`. Newly created feature services may take up to 60 seconds to query. Also, ensure that the workspace is a "live" workspace.`;

function rejectsWith(p: Promise<unknown>, code: Code): Promise<void> {
  return assert.rejects(p, (e: unknown) => e instanceof ConnectError && e.code === code);
}

const list = async () => (await client.list({})).workspaces.map((w) => [w.name, w.live]);

describe("WorkspaceService", () => {
  test("Create (development by default, or live), List, Delete", async () => {
    assert.deepEqual(await list(), [["prod", true]]);
    const dev = await client.create({ name: "staging" });
    assert.deepEqual([dev.workspace?.name, dev.workspace?.live], ["staging", false]);
    const live = await client.create({ name: "canary", live: true });
    assert.deepEqual([live.workspace?.name, live.workspace?.live], ["canary", true]);
    assert.deepEqual(await list(), [["canary", true], ["prod", true], ["staging", false]]);
    await client.delete({ name: "staging" });
    await client.delete({ name: "canary" });
    assert.deepEqual(await list(), [["prod", true]]);
  });

  test("errors: duplicate, bad names, prod, unknown", async () => {
    await client.create({ name: "dup" });
    await rejectsWith(client.create({ name: "dup", live: true }), Code.AlreadyExists);
    await rejectsWith(client.create({ name: "" }), Code.InvalidArgument);
    await rejectsWith(client.create({ name: "no spaces" }), Code.InvalidArgument);
    await rejectsWith(client.delete({ name: "prod" }), Code.FailedPrecondition);
    await rejectsWith(client.delete({ name: "never" }), Code.NotFound);
    await client.delete({ name: "dup" });
  });

  test("the Connect JSON body is the protobuf JSON of the messages", async () => {
    const created = await post(server, "/tessera.workspace.v1.WorkspaceService/Create", { name: "json-ws", live: true });
    assert.deepEqual(created.body, { workspace: { name: "json-ws", live: true } });
    const listed = await post(server, "/tessera.workspace.v1.WorkspaceService/List", {});
    assert.deepEqual(listed.body, { workspaces: [{ name: "json-ws", live: true }, { name: "prod", live: true }] });
    assert.deepEqual((await post(server, "/tessera.workspace.v1.WorkspaceService/Delete", { name: "json-ws" })).body, {});
  });
});

describe("serving per workspace", () => {
  test("a development workspace holds a registry but GetFeatures and Metadata there are Tecton's 404", async () => {
    await client.create({ name: "dev" });
    await register(server, [CLICK, DEVICE_CLICKS, DEVICES], "dev");
    await push(server, "click", { user: "u", device: 1, page: "p" }, "dev");
    assert.deepEqual((await post(server, "/get", { table: "device_clicks", key: "1", workspace: "dev" })).body, { clicks: 1 }, "the data plane works there");
    for (const r of [
      await getFeatures(server, { featureServiceName: "devices", workspaceName: "dev", joinKeyMap: { device: "1" } }),
      await getFeatures(server, { joinKeyMap: { device: "1" } }, "/api/v2/workspaces/dev/feature-services/devices/get-features"),
      await post(server, "/api/v1/feature-service/metadata", { params: { featureServiceName: "devices", workspaceName: "dev" } }),
      await post(server, "/api/v1/feature-service/get-features-batch", { params: { featureServiceName: "devices", workspaceName: "dev", requestData: [{ joinKeyMap: { device: "1" } }] } }),
    ]) {
      assert.equal(r.status, 404, r.text);
      assert.deepEqual(r.body, { error: notFound("devices", "dev"), code: 5, message: notFound("devices", "dev") });
    }
    const connect = await post(server, "/tessera.featureservice.v1.FeatureService/GetFeatures", { params: { featureServiceName: "devices", workspaceName: "dev", joinKeyMap: { device: "1" } } });
    assert.deepEqual(connect.body, { code: "not_found", message: notFound("devices", "dev") });
    await client.delete({ name: "dev" });
  });

  test("a live workspace serves its own registry; a re-created one starts afresh", async () => {
    await client.create({ name: "live2", live: true });
    await register(server, [CLICK, DEVICE_CLICKS, DEVICES], "live2");
    await push(server, "click", { user: "u", device: 1, page: "p" }, "live2");
    const params = { featureServiceName: "devices", workspaceName: "live2", joinKeyMap: { device: "1" } };
    assert.deepEqual((await getFeatures(server, params)).body, { result: { features: ["1"] } });
    assert.equal((await getFeatures(server, { ...params, workspaceName: "prod" })).status, 404, "prod has no such service");

    await client.delete({ name: "live2" });
    assert.equal((await getFeatures(server, params)).status, 404);
    await client.create({ name: "live2", live: true });
    const renamed = { ...DEVICES, name: "devices", features: [{ table: "device_clicks", alias: "dc" }] };
    await register(server, [CLICK, DEVICE_CLICKS, renamed], "live2");
    const r = await getFeatures(server, { ...params, metadataOptions: { includeNames: true, includeServingStatus: true } });
    assert.deepEqual(r.body, { result: { features: [null] }, metadata: { features: [{ name: "dc.clicks", status: "MISSING_DATA" }] } }, "the old workspace's plan and state are gone");
    await client.delete({ name: "live2" });
  });
});
