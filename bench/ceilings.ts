import { performance } from 'node:perf_hooks';
import { generateKeyPair, SignJWT } from 'jose';
import { round } from './load.ts';

/**
 * JWT signatures per second for each algorithm, with enough signatures in flight to use every core
 * (WebCrypto signs on the libuv thread pool): the most logins per second that signing allows.
 */
export async function signaturesPerSecond(
  alg: 'RS256' | 'ES256' | 'EdDSA',
  durationMs: number,
): Promise<number> {
  const { privateKey } = await generateKeyPair(alg, { modulusLength: 2048 });
  const claims = {
    iss: 'https://bench.example/',
    sub: 'email|0123456789abcdef01234567',
    aud: 'bench',
    nonce: 'n',
  };
  const sign = () =>
    new SignJWT(claims)
      .setProtectedHeader({ alg, kid: 'k' })
      .setIssuedAt()
      .setExpirationTime('1h')
      .sign(privateKey);
  for (let i = 0; i < 50; i++) await sign();
  let count = 0;
  const started = performance.now();
  const until = started + durationMs;
  await Promise.all(
    Array.from({ length: 16 }, async () => {
      while (performance.now() < until) {
        await sign();
        count++;
      }
    }),
  );
  return round(count / ((performance.now() - started) / 1000), 0);
}
