/**
 * The one case that is not memory-only: TCP msgpack push throughput (medium pack, zipf keys) with the
 * command log on the default `--fsync interval`, next to a memory-only server in the same round
 * (DESIGN §7; issue 5's target: interval ≥ 0.8 × memory-only). bench/durability measures every fsync
 * mode and recovery; this keeps the default mode in the one-command suite.
 */
import { OP_PUSH } from "../../lib/frames.ts";
import { measurePairs, pairSteps, unmeasured, type CaseResult, type CaseSpec, type SuiteContext } from "../context.ts";
import { describeKeys } from "../keys.ts";
import type { SuiteOptions } from "../options.ts";
import { PACKS } from "../packs.ts";
import { fromTcpLoad, type PairSpec, type Timing } from "../runner.ts";
import { startTessera, type SuiteServer } from "../servers.ts";
import { checkAck, pushTapes, register } from "../workloads.ts";

export function durabilityCase(o: SuiteOptions): CaseSpec {
  const pack = PACKS.medium;
  const entities = o.pushEntities;
  const id = "durability-medium-zipf";
  const title = "push with the command log";
  const workload = `medium, ${describeKeys("zipf", entities)}`;
  const titles = [{ id: `${id}/tcp`, title: "push ev/s, TCP, --fsync interval vs --memory-only" }];
  return {
    id,
    group: "durability",
    title,
    workload,
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
        const tape = ctx.gen.saveTape(tapes.tcpTape);
        const run = (s: SuiteServer) => (t: Timing) =>
          ctx.gen.run({ kind: "closed", ...s.tcpAddr, connections: o.connections, depth: o.depth, ...t, tapePath: tape, expectOp: OP_PUSH, observePids: [s.pid] }).then(fromTcpLoad);
        const pairs: PairSpec[] = [
          {
            id: titles[0]!.id,
            title: titles[0]!.title,
            metric: "throughput",
            target: { kind: "ratio-min", value: 0.8 },
            ratioLabel: "interval ÷ memory-only",
            subject: { label: "tessera --fsync interval (command log in a temp dir)", run: run(logged), check: checkAck },
            baseline: { label: "tessera --memory-only", run: run(memory), check: checkAck },
          },
        ];
        const summaries = await measurePairs(ctx, pairs);
        return {
          id,
          group: "durability",
          title,
          workload,
          skipped: null,
          conditions: {
            pack: pack.summary,
            keys: `${describeKeys("zipf", entities)}; ${tapes.events} pre-built events cycled`,
            tcp: `${o.connections} connections × depth ${o.depth} pipelined (closed loop), ${tapes.meanMsgpackBytes} B msgpack per push`,
            servers: `baseline: tessera ${memory.flags.join(" ")}; case: tessera ${logged.flags.join(" ")}`,
            disk: "the OS temp dir; fsync every 10 ms (group commit); acks after append",
          },
          pairs: summaries,
        };
      } catch (e) {
        return unmeasured({ id, group: "durability", title, workload }, `setup failed: ${(e as Error).message.split("\n")[0]}`, titles);
      } finally {
        await Promise.all(servers.map((s) => s.stop()));
      }
    },
  };
}
