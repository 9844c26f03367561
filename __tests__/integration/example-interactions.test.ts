/** The example's interaction routes, answering a request for the wrong step as the user's mistake, not the server's. */
import { describe, expect, it } from '@jest/globals';
import request from 'supertest';

import { MemoryStore } from '../../lib/index.js';
import { testIdentityProvider } from '../helpers/idp.js';
import { authorize } from '../helpers/web-login.js';

describe('POST /interaction/:uid/transfer', () => {
  it('threat: on an interaction that is not a transfer confirmation it answers 500, an internal error: 400, saying what is wrong', async () => {
    const idp = testIdentityProvider({ store: new MemoryStore() });
    const browser = request.agent(idp.app);
    // A plain login, no transfer token: the login form's interaction.
    const login = await authorize(browser, idp.provider);
    if (login.kind !== 'interaction') throw new Error(login.kind);

    const res = await browser.post(`/interaction/${login.uid}/transfer`);
    expect(res.status).toBe(400);
    expect(res.text).toBe('This sign-in step is not a transfer confirmation: there is nothing to confirm.');
    // The interaction is left as it was: the login form still works.
    expect((await browser.get(`/interaction/${login.uid}`)).text).toContain('name="password"');
  });
});
