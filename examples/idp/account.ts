import express from 'express';
import type { Provider } from 'oidc-provider';

import { TRANSFER_AMR } from '../../lib/index.js';
import { accountPage } from './views.js';

/** `/account`: this browser's session at the provider, and whether it came from a transfer. */
export function accountRoutes(provider: Provider): express.Router {
  const router = express.Router();
  router.get('/account', async (req, res, next) => {
    try {
      const session = await provider.Session.get(provider.createContext(req, res));
      res.set('cache-control', 'no-store').type('html').send(accountPage(session.accountId ? {
        accountId: session.accountId,
        loginTime: session.loginTs,
        amr: session.amr ?? [],
        transferred: session.amr?.includes(TRANSFER_AMR) ?? false,
        clients: Object.keys(session.authorizations ?? {}),
      } : undefined));
    } catch (err) {
      next(err);
    }
  });
  return router;
}
