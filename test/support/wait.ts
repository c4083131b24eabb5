/**
 * Polls a condition that has no event of its own until it holds, or fails with what was awaited.
 * Tests wait for outcomes this way instead of sleeping a fixed time (STYLE.md).
 */
export async function waitFor(
  check: () => boolean,
  timeoutMs = 5000,
  what = "condition",
  pollMs = 10,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, pollMs));
  }
}

/**
 * Polls an async probe every 250 ms until `ok` holds for its value (a failing probe counts as "not yet"), or
 * fails with what was awaited and the last value seen. For processes and servers that answer over the network.
 */
export async function until<T>(
  what: string,
  probe: () => Promise<T>,
  ok: (v: T) => boolean,
  timeoutMs: number,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await probe().catch(() => undefined);
    if (v !== undefined && ok(v)) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}; last: ${JSON.stringify(v)}`);
    await new Promise((r) => setTimeout(r, 250));
  }
}
