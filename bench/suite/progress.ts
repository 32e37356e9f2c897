/**
 * The suite's progress on stderr: a cli-progress bar (steps done of planned, current step, elapsed
 * and eta) on a terminal, plain lines otherwise (a log or a pipe must not fill with cursor movements).
 * stdout is kept for the final table.
 */
import cliProgress from "cli-progress";

export interface SuiteProgress {
  /** The step about to run (the bar's label). */
  start(label: string): void;
  /** One step done. */
  done(): void;
  /** Jumps to `steps` done (after a case that skipped or failed part of its plan). */
  syncTo(steps: number): void;
  /** A line of its own (above the bar on a terminal). */
  log(line: string): void;
  /** Results of single measurements: shown only without a bar, or with --verbose. */
  detail(line: string): void;
  stop(): void;
}

function clock(ms: number): string {
  const s = Math.round(ms / 1000);
  return s >= 60 ? `${Math.floor(s / 60)}m${String(s % 60).padStart(2, "0")}s` : `${s}s`;
}

export function createProgress(total: number, out: NodeJS.WriteStream = process.stderr, verbose = false): SuiteProgress {
  const t0 = performance.now();
  let value = 0;
  let label = "";
  if (out.isTTY === true && !verbose) {
    const multi = new cliProgress.MultiBar({
      stream: out,
      format: " {bar} {percentage}% | {value}/{total} steps | {elapsed_s} | eta {eta_s} | {label}",
      barCompleteChar: "\u2588",
      barIncompleteChar: "\u2591",
      barsize: 24,
      // No terminal mode is changed (cursor, wrapping): lines longer than the terminal are cut, and a
      // Ctrl-C leaves the terminal as it was.
      hideCursor: null,
      linewrap: true,
      fps: 4,
    });
    const payload = () => {
      const elapsed = performance.now() - t0;
      // Steps take very different times (a memory run vs a 1 s window): a rough eta, labelled so.
      const eta = value === 0 ? "-" : `~${clock((elapsed / value) * (total - value))}`;
      return { label, elapsed_s: clock(elapsed), eta_s: eta };
    };
    const bar = multi.create(total, 0, { ...payload(), label: "starting" });
    const timer = setInterval(() => bar.update(value, payload()), 500);
    return {
      start(l) {
        label = l;
        bar.update(value, payload());
      },
      done() {
        value = Math.min(total, value + 1);
        bar.update(value, payload());
      },
      syncTo(steps) {
        value = Math.max(value, Math.min(total, steps));
        bar.update(value, payload());
      },
      log(line) {
        multi.log(`${line}\n`);
      },
      detail() {},
      stop() {
        clearInterval(timer);
        label = "done";
        bar.update(value, payload());
        multi.stop();
      },
    };
  }
  const prefix = () => `[${String(value).padStart(String(total).length)}/${total} ${clock(performance.now() - t0).padStart(6)}]`;
  return {
    start(l) {
      label = l;
    },
    done() {
      value = Math.min(total, value + 1);
      out.write(`${prefix()} ${label}\n`);
    },
    syncTo(steps) {
      value = Math.max(value, Math.min(total, steps));
    },
    log(line) {
      out.write(`${prefix()} ${line}\n`);
    },
    detail(line) {
      out.write(`${prefix()}   ${line}\n`);
    },
    stop() {},
  };
}
