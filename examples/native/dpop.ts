import { createHash, generateKeyPairSync, randomUUID, sign, type KeyObject } from 'node:crypto';

export interface ProofOptions {
  /** The server's `DPoP-Nonce`, when it sent one. */
  nonce?: string;
  /** For a resource request (userinfo): the access token, hashed into `ath`. */
  accessToken?: string;
  /** Seconds since the epoch; now by default. */
  iat?: number;
  jti?: string;
}

/**
 * A DPoP key as the Auth0 SDKs hold one (EC P-256, ES256) and the proofs they make with it
 * (RFC 9449): header `typ`, `alg`, `jwk`; claims `jti`, `htm`, `htu` without query and fragment,
 * `iat`, and `nonce` / `ath` when given. Node's crypto only, as an app would need no library.
 */
export class DpopKey {
  readonly #privateKey: KeyObject;
  /** The public key as a JWK with only its required members. */
  readonly jwk: { kty: string; crv: string; x: string; y: string };

  constructor() {
    const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
    const { kty, crv, x, y } = publicKey.export({ format: 'jwk' }) as Record<string, string>;
    this.#privateKey = privateKey;
    this.jwk = { kty: kty!, crv: crv!, x: x!, y: y! };
  }

  /** The RFC 7638 thumbprint: what a bound token's `jkt` holds and `dpop_jkt` sends. */
  get thumbprint(): string {
    const { crv, kty, x, y } = this.jwk;
    return createHash('sha256').update(JSON.stringify({ crv, kty, x, y })).digest('base64url');
  }

  proof(method: string, url: string, { nonce, accessToken, iat = Math.floor(Date.now() / 1000), jti = randomUUID() }: ProofOptions = {}): string {
    const htu = new URL(url);
    htu.search = '';
    htu.hash = '';
    const header = { typ: 'dpop+jwt', alg: 'ES256', jwk: this.jwk };
    const payload = {
      jti, htm: method.toUpperCase(), htu: htu.href, iat,
      ...(nonce ? { nonce } : {}),
      ...(accessToken ? { ath: createHash('sha256').update(accessToken).digest('base64url') } : {}),
    };
    const input = `${Buffer.from(JSON.stringify(header)).toString('base64url')}.${Buffer.from(JSON.stringify(payload)).toString('base64url')}`;
    const signature = sign('sha256', Buffer.from(input), { key: this.#privateKey, dsaEncoding: 'ieee-p1363' });
    return `${input}.${signature.toString('base64url')}`;
  }
}
