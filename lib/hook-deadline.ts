/**
 * Calls a host hook with a deadline: rejects when it throws or has not answered within `timeout`
 * milliseconds. The library's hooks fail closed, so callers treat a rejection as a refusal.
 */
export async function callWithDeadline<T>(hook: () => T | Promise<T>, timeout: number, name: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  try {
    return await Promise.race([
      Promise.resolve().then(hook),
      new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new Error(`${name} did not answer within ${timeout} ms`)), timeout);
      }),
    ]);
  } finally {
    clearTimeout(timer);
  }
}
