import { afterAll } from '@jest/globals';

import { quitRedis, redisClient } from '../helpers/idp.js';
import { nativeSsoProvider } from '../helpers/native-sso.js';
import { nativeSsoSuite } from '../helpers/native-sso-suite.js';

/** OpenID Connect Native SSO 1.0 on Redis (the provider's storage too). */
const redis = redisClient();
const idp = nativeSsoProvider({ redis, keyPrefix: 'native-sso:' });
afterAll(() => quitRedis(redis));

nativeSsoSuite(() => idp);
