/**
 * Makes a provider's own words safe for a ProviderError description, which API callers see: one
 * short line, with every credential (and its usual encodings) cut out in case a server echoes it.
 */
export function redact(text: string, secrets: readonly string[]): string {
  let safe = text.replace(/\s+/g, ' ').trim();
  for (const secret of secrets) {
    if (secret.length >= 4) safe = safe.split(secret).join('[redacted]');
  }
  return safe.length > 300 ? `${safe.slice(0, 297)}...` : safe;
}

/** A credential and the forms it travels in (base64 for SMTP AUTH and HTTP Basic). */
export function secretForms(...secrets: (string | undefined)[]): string[] {
  const forms: string[] = [];
  for (const secret of secrets) {
    if (!secret) continue;
    forms.push(secret, Buffer.from(secret).toString('base64'));
  }
  return forms;
}
