/**
 * The line the example's command-line tools print when the identity provider does not answer,
 * instead of fetch's stack trace; undefined for any other error.
 */
export function unreachableProvider(err: unknown, issuer: string): string | undefined {
  if (!(err instanceof TypeError && err.message === 'fetch failed')) return undefined;
  const cause = (err as { cause?: { code?: string } }).cause;
  return `could not reach the identity provider at ${issuer}${cause?.code ? ` (${cause.code})` : ''}: `
    + 'start it with `npm start` (with the same PORT), or name it with --issuer URL';
}
