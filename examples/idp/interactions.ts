import express, { type NextFunction, type Request, type Response } from 'express';
import type { Provider } from 'oidc-provider';

// Outside this repository: import type { SessionTransfer } from 'oidc-session-transfer';
import type { SessionTransfer } from '../../lib/index.js';
import { authenticate, displayName } from './accounts.js';
import { confirmTransferPage, consentPage, loginPage } from './views.js';

type Handler = (req: Request, res: Response) => Promise<void>;
const route = (handler: Handler) => (req: Request, res: Response, next: NextFunction) =>
  handler(req, res).catch(next);

/** The login, transfer confirmation and consent pages oidc-provider sends users to (`interactions.url`). */
export function interactionRoutes(provider: Provider, transfer: SessionTransfer): express.Router {
  const router = express.Router();
  // Body parsing only on these routes: oidc-provider parses its own endpoints' bodies.
  const form = express.urlencoded({ extended: false });

  router.get('/interaction/:uid', route(async (req, res) => {
    const interaction = await provider.interactionDetails(req, res);
    const { uid, prompt, params } = interaction;
    const clientId = String(params.client_id);
    res.set('cache-control', 'no-store');
    const confirmation = transfer.pendingConfirmation(interaction);
    if (confirmation && req.query.signin === undefined) {
      res.type('html').send(confirmTransferPage(uid, clientId, displayName(confirmation.accountId)));
    } else if (prompt.name === 'login') {
      res.type('html').send(loginPage(uid, clientId));
    } else {
      const scopes = String(params.scope ?? '').split(' ').filter(Boolean);
      res.type('html').send(consentPage(uid, clientId, scopes));
    }
  }));

  router.post('/interaction/:uid/login', form, route(async (req, res) => {
    const { uid, prompt, params } = await provider.interactionDetails(req, res);
    if (prompt.name !== 'login') throw new Error('not a login interaction');
    const accountId = authenticate(String(req.body?.login ?? ''), String(req.body?.password ?? ''));
    if (!accountId) {
      res.status(401).type('html').send(loginPage(uid, String(params.client_id), 'Wrong email or password.'));
      return;
    }
    await provider.interactionFinished(req, res, { login: { accountId, amr: ['pwd'] } }, { mergeWithLastSubmission: false });
  }));

  // The user confirmed a session transfer: a POST, so no other site can confirm for them.
  router.post('/interaction/:uid/transfer', route(async (req, res) => {
    // A stale or hand-made form post on another step is the user's mistake, not the server's.
    if (!transfer.pendingConfirmation(await provider.interactionDetails(req, res))) {
      res.status(400).type('text').send('This sign-in step is not a transfer confirmation: there is nothing to confirm.');
      return;
    }
    await transfer.confirmTransfer(req, res);
  }));

  router.post('/interaction/:uid/confirm', route(async (req, res) => {
    const { prompt, params, session, grantId } = await provider.interactionDetails(req, res);
    if (prompt.name !== 'consent' || !session) throw new Error('not a consent interaction');
    const grant = grantId
      ? (await provider.Grant.find(grantId))!
      : new provider.Grant({ accountId: session.accountId, clientId: String(params.client_id) });
    const details = prompt.details as { missingOIDCScope?: string[]; missingOIDCClaims?: string[]; missingResourceScopes?: Record<string, string[]> };
    if (details.missingOIDCScope) grant.addOIDCScope(details.missingOIDCScope.join(' '));
    if (details.missingOIDCClaims) grant.addOIDCClaims(details.missingOIDCClaims);
    for (const [indicator, scopes] of Object.entries(details.missingResourceScopes ?? {})) grant.addResourceScope(indicator, scopes.join(' '));
    await provider.interactionFinished(req, res, { consent: { grantId: await grant.save() } }, { mergeWithLastSubmission: true });
  }));

  router.get('/interaction/:uid/abort', route(async (req, res) => {
    await provider.interactionFinished(req, res, {
      error: 'access_denied', error_description: 'the user cancelled',
    }, { mergeWithLastSubmission: false });
  }));

  return router;
}
