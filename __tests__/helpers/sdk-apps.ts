import type { NextFunction, Request, Response } from 'express';

/** The subject token type of the SDK suites' support tickets. */
export const TICKET_TYPE = 'urn:example:support-ticket';
/**
 * What the target apps ask for (express-openid-connect's default). The consoles mint without
 * `scope`, as Auth0's own example (examples/cte-session-transfer.js) does: the delegated session
 * then gets the OpenID Connect scopes its web app asks for (docs/delegation.md).
 */
export const SCOPE = 'openid profile email';

/** Shows the app's user as JSON, for the test to read (what a real app renders as a profile). */
export function showClaims(res: Response, claims: unknown): void {
  res.type('html').send(`<pre id="claims">${JSON.stringify(claims ?? null).replace(/</g, '\\u003c')}</pre>`);
}

export const asyncRoute = (handler: (req: Request, res: Response) => Promise<void>) => (req: Request, res: Response, next: NextFunction) => {
  handler(req, res).catch(next);
};
