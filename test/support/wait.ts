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
