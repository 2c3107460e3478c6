/** Secrets shorter than this are not redacted: replacing "a" everywhere would mangle text and hide nothing. */
const MIN_SECRET_LENGTH = 4;

/**
 * Replaces every occurrence of each secret in `text` with `[REDACTED]`. Also catches the secret when an
 * upstream body echoes it JSON-escaped or URL-encoded, and common `Bearer`/key shapes are left intact
 * apart from the secret itself.
 */
export function redactSecrets(text: string, secrets: Iterable<string | undefined>): string {
  let out = text;
  const forms = new Set<string>();
  for (const secret of secrets) {
    if (!secret || secret.length < MIN_SECRET_LENGTH) continue;
    forms.add(secret);
    forms.add(encodeURIComponent(secret));
    forms.add(JSON.stringify(secret).slice(1, -1));
  }
  // Longest first so a secret that contains another is replaced whole.
  for (const form of [...forms].sort((a, b) => b.length - a.length)) {
    out = out.split(form).join('[REDACTED]');
  }
  return out;
}
