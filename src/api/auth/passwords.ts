import { randomBytes, type ScryptOptions, scrypt, timingSafeEqual } from 'node:crypto';

// scrypt from node:crypto: no native addon to build, parameters stored beside each hash so they can grow.
// OWASP Password Storage Cheat Sheet: N=2^17,r=8,p=1 and N=2^15,r=8,p=3 are equally strong; the second
// needs 32 MiB a hash instead of 128 MiB, so concurrent logins cannot exhaust memory as fast.
export const PASSWORD_PARAMS = { N: 2 ** 15, r: 8, p: 3 } as const;
const PARAMS = PASSWORD_PARAMS;
const KEY_LENGTH = 32;

function derive(password: string, salt: Buffer, options: ScryptOptions): Promise<Buffer> {
  return new Promise((resolve, reject) =>
    scrypt(
      password.normalize('NFKC'),
      salt,
      KEY_LENGTH,
      // 128·N·r bytes: 32 MiB for today's parameters; a stored hash asking for more is refused.
      { ...options, maxmem: 64 * 1024 * 1024 },
      (err, key) => (err ? reject(err) : resolve(key)),
    ),
  );
}

/** `scrypt$N$r$p$salt$hash` (base64url). */
export async function hashPassword(password: string): Promise<string> {
  const salt = randomBytes(16);
  const key = await derive(password, salt, PARAMS);
  return ['scrypt', PARAMS.N, PARAMS.r, PARAMS.p, salt.toString('base64url'), key.toString('base64url')].join(
    '$',
  );
}

export async function verifyPassword(password: string, stored: string | null): Promise<boolean> {
  if (stored === null) return false;
  const [scheme, n, r, p, salt, hash] = stored.split('$');
  if (scheme !== 'scrypt' || salt === undefined || hash === undefined) return false;
  const expected = Buffer.from(hash, 'base64url');
  const actual = await derive(password, Buffer.from(salt, 'base64url'), {
    N: Number(n),
    r: Number(r),
    p: Number(p),
  });
  return actual.length === expected.length && timingSafeEqual(actual, expected);
}

/** True when a stored hash was made with weaker parameters than today's: rehash it at the next login. */
export function needsRehash(stored: string | null): boolean {
  if (stored === null) return false;
  const [scheme, n, r, p] = stored.split('$');
  return (
    scheme !== 'scrypt' ||
    Number(n) < PARAMS.N ||
    Number(r) < PARAMS.r ||
    Number(n) * Number(p) < PARAMS.N * PARAMS.p
  );
}

/** A readable random password for the first admin. */
export function generatePassword(): string {
  return randomBytes(18).toString('base64url');
}
