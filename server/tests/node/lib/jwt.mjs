// JWTs made in the tests with node:crypto (HS256 and RS256).
import { createHmac, createSign } from 'node:crypto';

const b64url = (buf) => Buffer.from(buf).toString('base64url');

export function makeJwt({ alg = 'HS256', secret, privateKey, claims, header = {} }) {
  const input = `${b64url(JSON.stringify({ alg, typ: 'JWT', ...header }))}.${b64url(JSON.stringify(claims))}`;
  let sig = '';
  if (alg === 'HS256') sig = createHmac('sha256', secret).update(input).digest('base64url');
  if (alg === 'RS256') sig = createSign('RSA-SHA256').update(input).sign(privateKey).toString('base64url');
  return `${input}.${sig}`;
}

export const now = () => Math.floor(Date.now() / 1000);
