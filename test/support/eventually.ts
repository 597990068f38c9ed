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
