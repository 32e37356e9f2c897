/** Bringing a Tessera server to the state a bench reads, over its HTTP data plane. */

/** `POST /register` of `body`; throws unless 200. */
export async function register(url: string, body: unknown): Promise<void> {
  const res = await fetch(`${url}/register`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify(body) });
  if (res.status !== 200) throw new Error(`POST /register: ${res.status} ${(await res.text()).slice(0, 500)}`);
}

/** Posts `/push_batch` bodies, `concurrency` in flight; throws on the first rejected event. Returns events sent. */
export async function pushBatches(url: string, bodies: Iterable<string | Buffer>, concurrency: number): Promise<number> {
  const it = bodies[Symbol.iterator]();
  let sent = 0;
  const worker = async (): Promise<void> => {
    for (;;) {
      const n = it.next();
      if (n.done === true) return;
      const res = await fetch(`${url}/push_batch`, { method: "POST", headers: { "content-type": "application/json" }, body: n.value });
      const text = await res.text();
      if (res.status !== 200) throw new Error(`POST /push_batch: ${res.status} ${text.slice(0, 300)}`);
      const reply = JSON.parse(text) as { outcomes?: { error?: unknown }[] };
      const bad = reply.outcomes?.find((o) => o.error !== undefined);
      if (reply.outcomes === undefined || bad !== undefined) throw new Error(`POST /push_batch: ${JSON.stringify(bad ?? reply).slice(0, 300)}`);
      sent += reply.outcomes.length;
    }
  };
  await Promise.all(Array.from({ length: concurrency }, worker));
  return sent;
}
