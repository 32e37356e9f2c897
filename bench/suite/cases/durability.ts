/**
 * The one case that is not memory-only: TCP msgpack push throughput (medium pack, zipf keys) with the
 * command log on the default `--fsync interval`, next to a memory-only server in the same round
 * (DESIGN §7; issue 5's target: interval ≥ 0.8 × memory-only). bench/durability measures every fsync
 * mode and recovery; this keeps the default mode in the one-command suite.
 */
import { checkAck } from "../../dataplane/cases.ts";
import { OP_PUSH } from "../../lib/frames.ts";
import { closedLoop, frameTape } from "../../lib/tape-loads.ts";
import { register } from "../../lib/tessera-setup.ts";
import { firstLine, measureCase, pairSteps, unmeasured, type CaseResult, type CaseSpec, type SuiteContext } from "../context.ts";
import { describeKeys } from "../keys.ts";
import type { SuiteOptions } from "../options.ts";
import { PACKS } from "../packs.ts";
import type { PairSpec } from "../pairs.ts";
import { startTessera, type SuiteServer } from "../servers.ts";
import { pushTapes } from "../workloads.ts";

export function durabilityCase(o: SuiteOptions): CaseSpec {
  const pack = PACKS.medium;
  const entities = o.pushEntities;
  const id = "durability-medium-zipf";
  const title = "push with the command log";
  const workload = `medium, ${describeKeys("zipf", entities)}`;
  const titles = [{ id: `${id}/tcp`, title: "push ev/s, TCP, --fsync interval vs --memory-only" }];
  const spec = { id, group: "durability" as const, title, workload };
  return {
    ...spec,
    steps: pairSteps(o, 1, 0, 1),
    async run(ctx: SuiteContext): Promise<CaseResult> {
      const tapes = pushTapes(pack, o.tapeEvents, entities, "zipf", 7);
      const servers: SuiteServer[] = [];
      try {
        const started = await Promise.allSettled([startTessera(), startTessera({ storage: "interval" })]);
        for (const r of started) if (r.status === "fulfilled") servers.push(r.value);
        const failed = started.find((r) => r.status === "rejected");
        if (failed !== undefined) throw failed.reason;
        const [memory, logged] = servers as [SuiteServer, SuiteServer];
        for (const s of servers) await register(s.url, pack.registerBody());
        ctx.step(`${id}: setup`);
        const tape = frameTape(ctx.gen, tapes.tcpTape, OP_PUSH);
        const run = (s: SuiteServer) => closedLoop(ctx.gen, tape, { addr: s.tcpAddr, pid: s.pid }, o.connections, o.depth);
        const pairs: PairSpec[] = [
          {
            id: titles[0]!.id,
            title: titles[0]!.title,
            metric: "throughput",
            target: { kind: "ratio-min", value: 0.8 },
            ratioLabel: "interval ÷ memory-only",
            subject: { id: "interval", label: "tessera --fsync interval (command log in a temp dir)", run: run(logged), check: checkAck },
            baseline: { id: "memory-only", label: "tessera --memory-only", run: run(memory), check: checkAck },
          },
        ];
        return await measureCase(ctx, spec, pairs, {
          pack: pack.summary,
          keys: `${describeKeys("zipf", entities)}; ${tapes.events} pre-built events cycled`,
          tcp: `${o.connections} connections × depth ${o.depth} pipelined (closed loop), ${tapes.meanMsgpackBytes} B msgpack per push`,
          servers: `baseline: tessera ${memory.flags.join(" ")}; case: tessera ${logged.flags.join(" ")}`,
          disk: "the OS temp dir; fsync every 10 ms (group commit); acks after append",
        });
      } catch (e) {
        return unmeasured(spec, `setup failed: ${firstLine(e)}`, titles);
      } finally {
        await Promise.all(servers.map((s) => s.stop()));
      }
    },
  };
}
