import cliProgress from "cli-progress";

/**
 * Live progress of a count towards a total, with the current rate: a redrawn bar on a terminal, and
 * plain periodic lines otherwise (a log file or a pipe must not fill with cursor movements).
 */

export interface ProgressOptions {
  /** Where progress is written; a bar when it is a TTY. */
  readonly out: NodeJS.WritableStream & { readonly isTTY?: boolean };
  readonly total: number;
  /** What is being counted, e.g. "events". */
  readonly unit: string;
  /** Reads the current count. */
  readonly read: () => number;
}

export interface Progress {
  /** Stops updating; a bar is drawn one last time with the final count. Idempotent. */
  stop(): void;
}

const COUNT = new Intl.NumberFormat("en-US");
/** Bar redraws: often enough to look live, rarely enough that the rate is readable. */
const BAR_INTERVAL_MS = 250;
/** Plain lines, when not a TTY: one a second keeps a log short. */
const LINE_INTERVAL_MS = 1000;

export function startProgress(options: ProgressOptions): Progress {
  const { out, total, unit, read } = options;
  let last = { at: performance.now(), count: read() };
  /** The rate since the previous tick, so the display follows the current speed, not the average. */
  const tick = (): { count: number; rate: number } => {
    const now = { at: performance.now(), count: read() };
    const seconds = (now.at - last.at) / 1000;
    const rate = seconds > 0 ? (now.count - last.count) / seconds : 0;
    last = now;
    return { count: now.count, rate };
  };

  if (out.isTTY === true) {
    const bar = new cliProgress.SingleBar({
      stream: out,
      // Within 80 columns at 7-digit counts.
      format: `  {bar} {percentage}% | {count}/{totalCount} | {rate} ${unit}/s | eta {eta_formatted}`,
      barCompleteChar: "\u2588",
      barIncompleteChar: "\u2591",
      barsize: 24,
      // Lines longer than the terminal are cut rather than wrapped, and no terminal mode (hidden
      // cursor, wrapping off) is changed, so a second Ctrl-C that kills the process leaves it sane.
      linewrap: true,
      // cli-progress also redraws on a timer of its own: at the pace of our updates, not faster.
      fps: 1000 / BAR_INTERVAL_MS,
    });
    bar.start(total, 0, { count: "0", totalCount: COUNT.format(total), rate: "-" });
    const timer = setInterval(() => {
      const { count, rate } = tick();
      bar.update(count, { count: COUNT.format(count), rate: COUNT.format(Math.round(rate)) });
    }, BAR_INTERVAL_MS);
    return {
      stop() {
        if (!bar.isActive) return;
        clearInterval(timer);
        const count = read();
        bar.update(count, { count: COUNT.format(count) });
        bar.stop();
      },
    };
  }

  let stopped = false;
  const timer = setInterval(() => {
    const { count, rate } = tick();
    const percent = Math.floor((count / total) * 100);
    out.write(`  ${COUNT.format(count)}/${COUNT.format(total)} ${unit} (${percent}%), ${COUNT.format(Math.round(rate))} ${unit}/s\n`);
  }, LINE_INTERVAL_MS);
  return {
    stop() {
      if (stopped) return;
      stopped = true;
      clearInterval(timer);
    },
  };
}
