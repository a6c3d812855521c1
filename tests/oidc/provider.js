// A real OpenID Provider (npm oidc-provider) for Cergas' single sign-on tests.
//
//   node tests/oidc/provider.js PORT APP_URL [APP_URL...]
//
// serves the issuer http://127.0.0.1:PORT with two clients for the Cergas apps at APP_URL:
// `cergas` (confidential, secret `cergas-test-secret`, client_secret_basic) and `cergas-public`
// (public, no secret); both must use PKCE (S256), come back to APP_URL/login/sso/callback and
// may end at APP_URL/login after logging out. Sign-in is oidc-provider's development form
// (any password; the login names one of ACCOUNTS below) and consent is skipped, as for an
// office's own application. Prints "ready ISSUER" once it listens.
//
// For the tests of refusals, POST /__test/token-mode with mode=forge makes the token endpoint
// answer with an ID token signed by another key (same `kid`), and mode=replay with the ID token
// of the previous sign-in; mode=pass (the default) leaves answers alone.

import { exportJWK, generateKeyPair, decodeJwt, decodeProtectedHeader, SignJWT } from 'jose';
import Provider from 'oidc-provider';

const port = Number(process.argv[2]);
const appUrls = process.argv.slice(3).map((url) => url.replace(/\/$/, ''));
if (!port || !appUrls.length) {
  console.error('usage: node provider.js PORT APP_URL [APP_URL...]');
  process.exit(2);
}
const issuer = `http://127.0.0.1:${port}`;

// sub -> claims. The NIPs are those of tests/conftest.py `org` where a test needs a match.
const ACCOUNTS = {
  staff: { name: 'Agus Pratama', email: 'agus@example.go.id', nip: '199001012015011004', preferred_username: 'agus' },
  staff2: { name: 'Dewi Lestari', email: 'dewi@example.go.id', nip: '199202022016012005', preferred_username: 'dewi' },
  stranger: { name: 'Yusuf Hidayat', email: 'yusuf@example.go.id', nip: '199505052020121007', preferred_username: 'yusuf' },
  // tests/e2e/seed.py's staff member, for the browser test.
  dimas: { name: 'Dimas Aditya Nugroho, S.I.Kom.', email: 'dimas@example.go.id', nip: '199101052015031002', preferred_username: 'dimas' },
  newcomer: { name: 'Wulan Sari, S.Kom.', email: 'wulan@example.go.id', nip: '199707072022032008', preferred_username: 'wulan' },
};

const { privateKey } = await generateKeyPair('RS256', { extractable: true });
const signingKey = { ...(await exportJWK(privateKey)), kid: 'cergas-test', alg: 'RS256', use: 'sig' };
// Another key for forged ID tokens: never published.
const { privateKey: otherKey } = await generateKeyPair('RS256', { extractable: true });

const common = {
  redirect_uris: appUrls.map((url) => `${url}/login/sso/callback`),
  post_logout_redirect_uris: appUrls.map((url) => `${url}/login`),
  grant_types: ['authorization_code'],
  response_types: ['code'],
};

const provider = new Provider(issuer, {
  clients: [
    { client_id: 'cergas', client_secret: 'cergas-test-secret', token_endpoint_auth_method: 'client_secret_basic', ...common },
    { client_id: 'cergas-public', token_endpoint_auth_method: 'none', ...common },
  ],
  jwks: { keys: [signingKey] },
  pkce: { required: () => true },
  // Claims in the ID token itself (as a Keycloak mapper with "Add to ID token" does).
  conformIdTokenClaims: false,
  claims: {
    openid: ['sub'],
    profile: ['name', 'preferred_username', 'nip'],
    email: ['email'],
  },
  features: {
    devInteractions: { enabled: true },
    rpInitiatedLogout: {
      enabled: true,
      // The default page loads a web font from the internet; the tests have no internet.
      async logoutSource(ctx, form) {
        ctx.body = `<!DOCTYPE html><html><head><meta charset="utf-8"><title>Sign out</title></head>
<body><h1>Sign out of the test provider too?</h1>${form}
<button type="submit" form="op.logoutForm" value="yes" name="logout">Yes, sign me out</button>
<button type="submit" form="op.logoutForm">No, stay signed in</button></body></html>`;
      },
    },
  },
  async findAccount(ctx, sub) {
    const account = ACCOUNTS[sub];
    if (!account) return undefined;
    return {
      accountId: sub,
      async claims() {
        return { sub, ...account };
      },
    };
  },
  // No consent screen: the office's own application.
  async loadExistingGrant(ctx) {
    const grantId = ctx.oidc.result?.consent?.grantId
      || ctx.oidc.session.grantIdFor(ctx.oidc.client.clientId);
    if (grantId) return ctx.oidc.provider.Grant.find(grantId);
    const grant = new ctx.oidc.provider.Grant({
      clientId: ctx.oidc.client.clientId,
      accountId: ctx.oidc.session.accountId,
    });
    grant.addOIDCScope('openid profile email');
    await grant.save();
    return grant;
  },
});

let mode = 'pass';
let previousIdToken = null;

async function forge(idToken) {
  const claims = decodeJwt(idToken);
  const { kid } = decodeProtectedHeader(idToken);
  return new SignJWT(claims).setProtectedHeader({ alg: 'RS256', kid, typ: 'JWT' }).sign(otherKey);
}

provider.use(async (ctx, next) => {
  if (ctx.path === '/__test/token-mode' && ctx.method === 'POST') {
    const body = await new Promise((resolve) => {
      let text = '';
      ctx.req.on('data', (chunk) => { text += chunk; });
      ctx.req.on('end', () => resolve(new URLSearchParams(text)));
    });
    mode = body.get('mode') || 'pass';
    ctx.body = { mode };
    return;
  }
  await next();
  if (ctx.path === '/token' && ctx.status === 200 && ctx.body && ctx.body.id_token) {
    const real = ctx.body.id_token;
    if (mode === 'forge') {
      ctx.body = { ...ctx.body, id_token: await forge(real) };
    } else if (mode === 'replay' && previousIdToken) {
      ctx.body = { ...ctx.body, id_token: previousIdToken };
    }
    previousIdToken = real;
  }
});

provider.listen(port, '127.0.0.1', () => {
  console.log(`ready ${issuer}`);
});
