import { describe, expect, it } from '@jest/globals';
import express from 'express';
import request from 'supertest';

import { sessionTransferLogin } from '../../lib/index.js';

const app = express();
app.get('/login', sessionTransferLogin(), (req, res) => { res.json(req.sessionTransfer ?? null); });
app.get('/custom', sessionTransferLogin({ param: 'stt' }), (req, res) => { res.json(req.sessionTransfer ?? null); });

describe('sessionTransferLogin()', () => {
  const token = 'AbC-_123456789012345678901234567890123456789';

  it('puts a token in the query on req.sessionTransfer, ready to forward', async () => {
    const res = await request(app).get(`/login?session_transfer_token=${token}`);
    expect(res.body).toEqual({ token, authorizationParams: { session_transfer_token: token } });
    expect(res.headers['referrer-policy']).toBe('no-referrer');
    expect(res.headers['cache-control']).toBe('no-store');
  });

  it('forbids the referrer even without a token, and sets nothing', async () => {
    const res = await request(app).get('/login');
    expect(res.body).toBeNull();
    expect(res.headers['referrer-policy']).toBe('no-referrer');
  });

  it.each([
    ['not base64url', 'a b<script>'],
    ['too short', 'abc'],
    ['repeated', `${token}&session_transfer_token=${token}`],
  ])('ignores a value that is %s', async (_name, value) => {
    const res = await request(app).get(`/login?session_transfer_token=${encodeURIComponent(value).replace('%26', '&').replace('%3D', '=')}`);
    expect(res.body).toBeNull();
  });

  it('reads another parameter name when configured', async () => {
    expect((await request(app).get(`/custom?stt=${token}`)).body).toMatchObject({ token });
  });
});
