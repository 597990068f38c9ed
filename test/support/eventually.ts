// Retries an assertion until it passes or the deadline comes (then rethrows its last failure).
// For state the operator converges to asynchronously; bounded, never an unbounded wait.
export async function eventually<T>(assertion: () => Promise<T> | T, timeoutMs = 20_000, intervalMs = 200): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      return await assertion();
    } catch (err) {
      if (Date.now() > deadline) throw err;
      await new Promise((r) => setTimeout(r, intervalMs));
    }
  }
}

/**
 * Polls a condition until it holds or the deadline comes: true as soon as it held, else its last
 * answer. For a boolean the test then asserts (`expect(await until(...)).toBe(true)`).
 */
export async function until(check: () => Promise<boolean>, timeoutMs = 5_000, intervalMs = 50): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (await check()) return true;
    await new Promise((r) => setTimeout(r, intervalMs));
  }
  return check();
}
