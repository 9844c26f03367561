#!/usr/bin/env bash
# The package as users get it: `npm pack`, installed into fresh apps beside this repo (not in it).
#  1. An identity provider (Express 5 + oidc-provider + ioredis) type-checks against it with
#     skipLibCheck: false, using the tsconfig workarounds README's Install names (@types/koa's
#     content-disposition, ioredis 6.1's redis-errors), then runs: a token-exchange mint with an
#     unknown refresh token answers invalid_grant from the library's grant (unattached, the
#     provider would know no such grant).
#  2. A relying party without oidc-provider installed runs `oidc-session-transfer/web`.
#
# Usage: packed-app.sh            the pinned versions below, which the suite also runs against
#                                 (from package-lock.json); any failure fails CI.
#        packed-app.sh --latest   drift check: the peers' latest releases, TypeScript 6 and 7 as
#                                 the consumer's compiler. Reports each result, exits 0: a third
#                                 party's regression is news, not a broken build of ours.
set -uo pipefail
repo="$(cd "$(dirname "$0")/.." && pwd)"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
mode="${1:-pinned}"

locked() { node -p "require('$repo/package-lock.json').packages['node_modules/$1'].version"; }
if [ "$mode" = "--latest" ]; then
  peers=(oidc-provider@latest ioredis@latest express@latest @types/express@latest @types/node@latest
    @types/redis-errors@latest)
  compilers=(typescript@6 typescript@latest)
else
  peers=("oidc-provider@$(locked oidc-provider)" "ioredis@$(locked ioredis)" "express@$(locked express)"
    "@types/express@$(locked @types/express)" "@types/node@$(locked @types/node)" "@types/redis-errors@1.2.3")
  compilers=("typescript@$(locked typescript)")
fi

tarball="$(cd "$repo" && npm pack --silent --pack-destination "$work" | tail -n 1)" || exit 1
failures=()

# One consumer app per compiler; prints what it installed, so a report names exact versions.
check_idp() {
  local compiler="$1" dir="$work/idp-${1//[@\/]/-}"
  mkdir "$dir" && cd "$dir" || return 1
  npm init -y >/dev/null && npm pkg set type=module
  npm install --silent --no-audit --no-fund "$work/$tarball" "${peers[@]}" "$compiler" || return 1
  npm ls --depth=0 oidc-provider ioredis express typescript @types/express @types/node | tail -n +2
  cat > tsconfig.json <<'JSON'
{
  "compilerOptions": {
    "target": "ES2022", "module": "NodeNext", "moduleResolution": "NodeNext", "strict": true,
    "skipLibCheck": false, "noEmit": true, "types": ["node"],
    "paths": { "content-disposition": ["./node_modules/@types/content-disposition/index.d.ts"] }
  },
  "include": ["app.ts"]
}
JSON
  cat > app.ts <<'TS'
import express from 'express';
import { Redis } from 'ioredis';
import Provider from 'oidc-provider';
import { redisAdapter, sessionTransfer, type ClientSessionTransferInput } from 'oidc-session-transfer';

const redis = new Redis({ lazyConnect: true });
const transfer = sessionTransfer({ redis });
const provider = new Provider('https://id.example.com', transfer.configure({
  adapter: redisAdapter({ client: redis }),
  clients: [{ client_id: 'web', session_transfer: { allowed_authentication_methods: ['query'] } satisfies ClientSessionTransferInput }],
}));
const app = express();
transfer.attach(provider, { app });
app.use(provider.callback());
TS
  npx tsc -p . || return 1
  # At run time, with an in-memory store: the library's grant answers a mint at the token endpoint.
  node --input-type=module -e "
    import express from 'express';
    import Provider from 'oidc-provider';
    import { MemoryStore, REFRESH_TOKEN_TYPE, TOKEN_EXCHANGE_GRANT, defaults, sessionTransfer } from 'oidc-session-transfer';
    const transfer = sessionTransfer({ store: new MemoryStore() });
    const provider = new Provider('http://127.0.0.1', transfer.configure({ clients: [{
      client_id: 'app', token_endpoint_auth_method: 'none', grant_types: ['refresh_token', TOKEN_EXCHANGE_GRANT],
      response_types: [], redirect_uris: [], session_transfer: { can_create_session_transfer_token: true },
    }] }));
    const app = express();
    transfer.attach(provider, { app });
    app.use(provider.callback());
    const server = app.listen(0, '127.0.0.1');
    await new Promise((resolve) => server.once('listening', resolve));
    const response = await fetch('http://127.0.0.1:' + server.address().port + '/token', {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ grant_type: TOKEN_EXCHANGE_GRANT, client_id: 'app', subject_token: 'x'.repeat(43),
        subject_token_type: REFRESH_TOKEN_TYPE, requested_token_type: defaults.tokenType }),
    });
    const body = await response.json();
    server.close();
    if (response.status !== 400 || body.error !== 'invalid_grant') throw new Error('mint answered ' + response.status + ' ' + JSON.stringify(body));
  " || return 1
}

for compiler in "${compilers[@]}"; do
  if (check_idp "$compiler"); then
    echo "packed library ($mode, $compiler): type-checks with skipLibCheck: false and mints"
  else
    failures+=("identity provider with $compiler and ${peers[*]}")
  fi
done

check_web() {
  mkdir "$work/web" && cd "$work/web" || return 1
  npm init -y >/dev/null && npm pkg set type=module
  npm install --silent --no-audit --no-fund --legacy-peer-deps "$work/$tarball" || return 1
  test ! -e node_modules/oidc-provider || return 1
  node --input-type=module -e "
    const { sessionTransferLogin } = await import('oidc-session-transfer/web');
    const req = { query: { session_transfer_token: 'a'.repeat(43) } };
    sessionTransferLogin()(req, { setHeader() {} }, () => {});
    if (req.sessionTransfer?.token !== 'a'.repeat(43)) throw new Error('not forwarded');
  "
}
if (check_web); then
  echo "packed library: oidc-session-transfer/web runs without oidc-provider installed"
else
  failures+=("web entry point alone")
fi

if [ ${#failures[@]} -eq 0 ]; then exit 0; fi
for failure in "${failures[@]}"; do echo "packed library ($mode) FAILED: $failure" >&2; done
if [ "$mode" = "--latest" ]; then
  echo "Drift: the latest peers break a consumer app (above). Reported only; the pinned check decides CI." >&2
  exit 0
fi
exit 1
