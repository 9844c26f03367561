import { hkdfSync, timingSafeEqual } from 'node:crypto';

import { calculateJwkThumbprint, EmbeddedJWK, jwtVerify, type JWTPayload } from 'jose';
import { errors, type Configuration, type KoaContextWithOIDC } from 'oidc-provider';

/**
 * DPoP proofs at the mint, checked by the rules of oidc-provider's own refresh grant (RFC 9449):
 * signature by the embedded key with an allowed algorithm, `typ`, `htm`, `htu` (query and
 * fragment ignored), `iat` within five minutes unless a server nonce is used, the nonce when the
 * provider requires one, and `jti` replay. oidc-provider keeps these checks private, so they are
 * re-stated here from its configuration; nonces are computed as it computes them, so a nonce it
 * issued at another endpoint is accepted here and the other way round.
 */

/** A verified proof: the key's RFC 7638 thumbprint, and what replay detection needs. */
export interface DpopProof {
  thumbprint: string;
  jti: string;
  /** Until when (epoch seconds) its `jti` must stay unique. */
  replayUntil: number;
}

export interface DpopSettings {
  enabled: boolean;
  algorithms: readonly string[];
  requireNonce(ctx: KoaContextWithOIDC): boolean;
  /** 32 bytes, when the provider issues nonces. */
  nonceSecret: Buffer | undefined;
  allowReplay: boolean;
}

/** oidc-provider's challenge step (seconds) and the window a proof's `iat` or a nonce may span. */
const STEP = 60;
const PROOF_WINDOW = STEP * 5;

/** The host's DPoP settings, with oidc-provider's defaults where absent. */
export function dpopSettings(configuration: Configuration): DpopSettings {
  const dPoP = (configuration.features?.dPoP ?? {}) as {
    enabled?: boolean; nonceSecret?: Buffer; requireNonce?: (ctx: KoaContextWithOIDC) => boolean; allowReplay?: boolean;
  };
  return {
    enabled: dPoP.enabled ?? true,
    algorithms: configuration.enabledJWA?.dPoPSigningAlgValues ?? ['ES256', 'Ed25519', 'EdDSA'],
    requireNonce: dPoP.requireNonce ?? (() => false),
    nonceSecret: dPoP.nonceSecret,
    allowReplay: dPoP.allowReplay ?? false,
  };
}

/** oidc-provider's server challenge: HKDF-SHA256 of the secret over the time step, info "DPoP". */
function nonceAt(secret: Buffer, step: number): string {
  const salt = Buffer.alloc(8);
  salt.writeBigUInt64BE(BigInt(step));
  return Buffer.from(hkdfSync('sha256', secret, salt, 'DPoP', 32)).toString('base64url');
}

function nonces(secret: Buffer, now: number) {
  const step = Math.floor(now / STEP);
  return {
    next: nonceAt(secret, step + 1),
    accepts(nonce: string): boolean {
      const given = Buffer.from(nonce);
      return [-2, -1, 0, 1, 2].some((offset) => {
        const expected = Buffer.from(nonceAt(secret, step + offset));
        return expected.length === given.length && timingSafeEqual(expected, given);
      });
    },
  };
}

const invalid = (description: string) => new errors.InvalidDpopProof(description);

function useNonce(ctx: KoaContextWithOIDC, next: string, description: string): Error {
  ctx.set('dpop-nonce', next);
  return new errors.UseDpopNonce(description);
}

/**
 * The request's DPoP proof, verified for the endpoint at `url`; undefined without a `DPoP` header
 * (or with DPoP disabled). Throws `invalid_dpop_proof`, or `use_dpop_nonce` with a `DPoP-Nonce`
 * header, as oidc-provider answers at its other endpoints.
 */
export async function verifyDpopProof(ctx: KoaContextWithOIDC, settings: DpopSettings, url: string, now: number): Promise<DpopProof | undefined> {
  if (!settings.enabled) return undefined;
  const proof = ctx.get('DPoP');
  if (!proof) return undefined;
  const challenge = settings.nonceSecret && nonces(settings.nonceSecret, now);
  const requireNonce = settings.requireNonce(ctx);
  if (typeof requireNonce !== 'boolean') throw new TypeError('features.dPoP.requireNonce must return a boolean');
  if (requireNonce && !challenge) throw new TypeError('features.dPoP.nonceSecret configuration is missing');

  let payload: JWTPayload;
  let jwk: Parameters<typeof calculateJwkThumbprint>[0];
  try {
    const verified = await jwtVerify(proof, EmbeddedJWK, { algorithms: [...settings.algorithms], typ: 'dpop+jwt' });
    ({ payload } = verified);
    jwk = verified.protectedHeader.jwk!;
  } catch (cause) {
    throw Object.assign(invalid('invalid DPoP key binding'), { cause });
  }
  if (typeof payload.iat !== 'number' || !payload.iat) throw invalid('DPoP proof must have a iat number property');
  if (typeof payload.jti !== 'string' || !payload.jti) throw invalid('DPoP proof must have a jti string property');
  if (payload.nonce !== undefined && typeof payload.nonce !== 'string') throw invalid('DPoP proof nonce must be a string');
  const nonce = payload.nonce as string | undefined;
  if (!nonce) {
    if (Math.abs(now - payload.iat) > PROOF_WINDOW) {
      if (challenge) throw useNonce(ctx, challenge.next, 'DPoP proof iat is not recent enough, use a DPoP nonce instead');
      throw invalid('DPoP proof iat is not recent enough');
    }
  } else if (!challenge) {
    throw invalid('DPoP nonces are not supported');
  }
  if (payload.htm !== ctx.method) throw invalid('DPoP proof htm mismatch');
  const htu = typeof payload.htu === 'string' ? URL.parse(payload.htu) : null;
  if (htu) {
    htu.hash = '';
    htu.search = '';
  }
  if (!htu || htu.href !== new URL(url).href) throw invalid('DPoP proof htu mismatch');

  if (!nonce && requireNonce) throw useNonce(ctx, challenge!.next, 'nonce is required in the DPoP proof');
  if (nonce && !challenge!.accepts(nonce)) throw useNonce(ctx, challenge!.next, 'invalid nonce in DPoP proof');
  if (challenge && nonce !== challenge.next) ctx.set('dpop-nonce', challenge.next);

  return { thumbprint: await calculateJwkThumbprint(jwk), jti: payload.jti, replayUntil: now + PROOF_WINDOW };
}
