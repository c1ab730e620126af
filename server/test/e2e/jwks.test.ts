import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { exportJWK, generateKeyPair, SignJWT } from 'jose';
import { describe, expect, it, onTestFinished } from 'vitest';
import { connect } from '../helpers/clients.ts';
import { startTestServer } from '../helpers/server.ts';
import { tokenFor } from '../helpers/tokens.ts';

/** An identity provider's key set over real HTTP, port 0; returns its URL and a signer per key. */
async function startJwks() {
  const rsa = await generateKeyPair('RS256');
  const ec = await generateKeyPair('ES256');
  const keys = [
    { ...(await exportJWK(rsa.publicKey)), kid: 'rsa-1', alg: 'RS256', use: 'sig' },
    { ...(await exportJWK(ec.publicKey)), kid: 'ec-1', alg: 'ES256', use: 'sig' },
  ];
  const server = createServer((_req, res) => {
    res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ keys }));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  onTestFinished(() => new Promise<void>((resolve) => server.close(() => resolve())));
  const sign = (alg: 'RS256' | 'ES256', kid: string, key: Parameters<SignJWT['sign']>[0]) =>
    new SignJWT({})
      .setProtectedHeader({ alg, kid })
      .setSubject('ada')
      .setIssuer('https://issuer.test')
      .setAudience('spool')
      .setExpirationTime('5m')
      .sign(key);
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/jwks.json`,
    rsaToken: (kid = 'rsa-1') => sign('RS256', kid, rsa.privateKey),
    ecToken: () => sign('ES256', 'ec-1', ec.privateKey),
  };
}

function jwksAuth(jwksUrl: string) {
  const auth = { mode: 'jwt', secret: undefined, jwksUrl, issuer: 'https://issuer.test', audience: 'spool' } as const;
  return { ...auth, clockToleranceS: 5 };
}

describe('tokens checked against an identity provider’s JWKS', () => {
  it('accepts RS256 and ES256 tokens signed by a published key, and refuses an unknown key id', async () => {
    const jwks = await startJwks();
    const server = await startTestServer({
      auth: jwksAuth(jwks.url),
    });
    for (const token of [await jwks.rsaToken(), await jwks.ecToken()]) {
      await expect(
        connect(server.url, 'sse', { token: () => token }).listConversations.query({}),
      ).resolves.toBeDefined();
    }
    const unknownKid = await jwks.rsaToken('rsa-2');
    await expect(
      connect(server.url, 'sse', { token: () => unknownKid }).listConversations.query({}),
    ).rejects.toMatchObject({
      data: { code: 'UNAUTHORIZED', spoolCode: 'UNAUTHENTICATED' },
    });
  });

  it('answers SERVICE_UNAVAILABLE, not UNAUTHORIZED, while the key set cannot be fetched', async () => {
    const jwks = await startJwks();
    const token = await jwks.rsaToken();
    const server = await startTestServer({
      auth: jwksAuth('http://127.0.0.1:9/jwks.json'), // nothing listens on the discard port
    });
    await expect(connect(server.url, 'sse', { token: () => token }).listConversations.query({})).rejects.toMatchObject({
      data: { code: 'SERVICE_UNAVAILABLE', spoolCode: 'AUTH_UNAVAILABLE' },
    });
  });

  it('refuses an HS256 token, whatever its secret, when keys come from a JWKS', async () => {
    const jwks = await startJwks();
    const server = await startTestServer({
      auth: {
        mode: 'jwt',
        secret: undefined,
        jwksUrl: jwks.url,
        issuer: 'spool-tests',
        audience: 'spool',
        clockToleranceS: 5,
      },
    });
    const hs256 = await tokenFor('ada');
    await expect(connect(server.url, 'sse', { token: () => hs256 }).listConversations.query({})).rejects.toMatchObject({
      data: { code: 'UNAUTHORIZED', spoolCode: 'UNAUTHENTICATED' },
    });
  });
});
