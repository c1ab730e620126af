import { SignJWT } from 'jose';

/**
 * `npm run token -- <user> [minutes]`: a development token for a Spool started with
 * SPOOL_JWT_SECRET (and SPOOL_JWT_ISSUER / SPOOL_JWT_AUDIENCE if set), valid for `minutes` (default 60).
 * Production tokens come from your identity provider.
 */
const [user, minutes = '60'] = process.argv.slice(2);
const secret = process.env.SPOOL_JWT_SECRET;
if (!user || !secret || !Number.isFinite(Number(minutes))) {
  process.stderr.write('usage: SPOOL_JWT_SECRET=... npm run token -- <user> [minutes]\n');
  process.exit(2);
}
const jwt = new SignJWT({})
  .setProtectedHeader({ alg: 'HS256' })
  .setSubject(user)
  .setIssuedAt()
  .setExpirationTime(`${Number(minutes)}m`);
if (process.env.SPOOL_JWT_ISSUER) jwt.setIssuer(process.env.SPOOL_JWT_ISSUER);
if (process.env.SPOOL_JWT_AUDIENCE) jwt.setAudience(process.env.SPOOL_JWT_AUDIENCE);
process.stdout.write(`${await jwt.sign(new TextEncoder().encode(secret))}\n`);
