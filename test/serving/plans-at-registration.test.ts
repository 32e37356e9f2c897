import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { Engine, type Registry } from "../../src/engine/index.ts";
import { isTesseraError, TesseraError } from "../../src/errors/tessera-error.ts";
import { systemClock } from "../../src/service/clock.ts";
import { MemoryCommandLog, type Appended } from "../../src/service/command-log.ts";
import type { Command } from "../../src/service/commands.ts";
import { DataPlane } from "../../src/service/data-plane.ts";
import { PlanCache } from "../../src/serving/plan-cache.ts";
import type { ReadPlan } from "../../src/serving/read-plan.ts";
import { NODES } from "./helpers.ts";

/**
 * Feature services are compiled into read plans at registration (DESIGN §8): DataPlane hands the
 * registry it is about to install to its onRegistryPlanned hook (src/server.ts wires it to feature
 * serving's plan cache, as here), before the command is logged.
 */

/** The memory log, counting what reached it. */
class CountingLog extends MemoryCommandLog {
  appended = 0;
  override append(command: Command, now: number): Appended {
    this.appended++;
    return super.append(command, now);
  }
}

function setUp(hook?: (ws: string, next: Registry) => void) {
  const engine = new Engine();
  const log = new CountingLog();
  const plans = new PlanCache(engine);
  let prepared: ReadonlyMap<string, ReadPlan> | undefined;
  const plane = new DataPlane({
    engine,
    log,
    clock: systemClock,
    serverVersion: "test",
    onRegistryPlanned: hook ?? ((_ws, next) => void (prepared = plans.prepare(next))),
  });
  return { engine, log, plans, plane, prepared: () => prepared };
}

function rejection(e: unknown): TesseraError {
  assert.ok(isTesseraError(e), String(e));
  return e;
}

describe("read plans at registration", () => {
  test("a registration compiles every online service's plan, and requests use those plans", () => {
    const { engine, plans, plane, prepared } = setUp();
    plane.register({ nodes: NODES });
    const compiled = prepared();
    assert.ok(compiled !== undefined, "the hook ran");
    assert.deepEqual([...compiled.keys()].sort(), ["combo:v2", "devices", "fraud"], "services with online serving off get no plan");
    assert.equal(plans.prepare(engine.registry("prod")), compiled, "the registry the hook saw is the one installed");
    assert.equal(plans.plan({ workspace: "prod", featureService: "fraud" }), compiled.get("fraud"), "a request reads the plan compiled at registration");
  });

  test("a no-op or dry-run registration installs nothing, so it compiles nothing", () => {
    let calls = 0;
    const { plane } = setUp(() => void calls++);
    plane.register({ nodes: NODES });
    plane.register({ nodes: NODES });
    plane.register({ nodes: NODES, dry_run: true });
    assert.equal(calls, 1);
  });

  test("a registration whose plans fail is rejected before it is logged or applied", () => {
    const failure = new TesseraError("invalid_registration", 'feature service "fraud" cannot be served: no');
    const { engine, log, plane } = setUp(() => {
      throw failure;
    });
    let thrown: unknown;
    try {
      plane.register({ nodes: NODES });
    } catch (e) {
      thrown = e;
    }
    const e = rejection(thrown);
    assert.equal(e.code, "invalid_registration");
    assert.equal(e.message, failure.message);
    assert.equal(e.details["registry_version"], 0, "as every register error, it names the registry version");
    assert.equal(log.appended, 0, "nothing was logged");
    assert.equal(engine.registryVersion("prod"), 0, "nothing was applied");
  });

  test("a service the plan compiler cannot serve is invalid_registration naming it and its node", () => {
    // The registry refuses f64 key columns today, so this registry is derived from a valid one by
    // hand: it stands for any service the serving side cannot plan, should the registry ever accept one.
    const engine = new Engine();
    const plan = engine.planRegister("prod", { nodes: NODES });
    assert.equal(plan.kind, "apply");
    const next = (plan as Extract<typeof plan, { kind: "apply" }>).next;
    const devices = next.featureServices.get("devices")!;
    const unservable: Registry = {
      ...next,
      featureServices: new Map([...next.featureServices, ["devices", { ...devices, joinKeys: [{ name: "device", type: { kind: "f64" } }] }]]),
    };
    let thrown: unknown;
    try {
      new PlanCache(engine).prepare(unservable);
    } catch (e) {
      thrown = e;
    }
    const e = rejection(thrown);
    const reason = 'feature service "devices" cannot be served: join key "device" has type f64, which joinKeyMap cannot carry (string, int64, boolean or timestamp keys only)';
    assert.equal(e.code, "invalid_registration");
    assert.equal(e.message, reason);
    assert.deepEqual(e.details, { path: `nodes[${NODES.indexOf(NODES.find((n) => (n as { name?: string }).name === "devices")!)}]`, reason });
  });
});
