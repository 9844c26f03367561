#!/usr/bin/env bash
# The package as users get it: `npm pack`, installed into fresh apps beside this repo (not in it).
#  1. An identity provider (Express 5 + oidc-provider) type-checks against it with
#     skipLibCheck: false, using the README's one-line tsconfig workaround for @types/koa.
#  2. A relying party without oidc-provider installed runs `oidc-session-transfer/web`.
set -euo pipefail
repo="$(cd "$(dirname "$0")/.." && pwd)"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT

tarball="$(cd "$repo" && npm pack --silent --pack-destination "$work" | tail -n 1)"
version="$(node -p "require('$repo/package.json').devDependencies.typescript")"

mkdir "$work/idp" && cd "$work/idp"
npm init -y >/dev/null && npm pkg set type=module
npm install --silent --no-audit --no-fund "$work/$tarball" oidc-provider@9.13.3 ioredis express \
  "typescript@$version" @types/express @types/node@20
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
npx tsc -p .
echo "packed library: type-checks in a fresh app with skipLibCheck: false"

mkdir "$work/web" && cd "$work/web"
npm init -y >/dev/null && npm pkg set type=module
npm install --silent --no-audit --no-fund --legacy-peer-deps "$work/$tarball"
test ! -e node_modules/oidc-provider
node --input-type=module -e "
  const { sessionTransferLogin } = await import('oidc-session-transfer/web');
  const req = { query: { session_transfer_token: 'a'.repeat(43) } };
  sessionTransferLogin()(req, { setHeader() {} }, () => {});
  if (req.sessionTransfer?.token !== 'a'.repeat(43)) throw new Error('not forwarded');
"
echo "packed library: oidc-session-transfer/web runs without oidc-provider installed"
