/**
 * Children the suite has running (servers, Redis, generators), so that an interrupted run (SIGINT,
 * SIGTERM) still stops them rather than leaving servers holding ports and memory.
 */

const live = new Set<() => Promise<unknown>>();

/** Registers `child` until its `stop()` (or `close()`) is called; returns it with that method wrapped. */
export function track<T extends { stop?: (...a: never[]) => Promise<unknown>; close?: () => Promise<unknown> }>(child: T): T {
  const method = typeof child.stop === "function" ? "stop" : "close";
  const original = (child[method] as () => Promise<unknown>).bind(child);
  let done: Promise<unknown> | null = null;
  const once = (): Promise<unknown> => {
    done ??= original();
    live.delete(once);
    return done;
  };
  live.add(once);
  Object.defineProperty(child, method, { value: once, configurable: true, writable: true });
  return child;
}

/** Stops every tracked child still running. */
export async function stopAll(): Promise<void> {
  await Promise.allSettled([...live].map((f) => f()));
}
