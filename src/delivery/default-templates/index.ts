/**
 * Built-in message templates (Liquid), used for whatever a connection does not define. Each language
 * is one module of phrases; the HTML around them is shared, so a new language is one small file.
 */
import { de } from './de.ts';
import { en } from './en.ts';
import { es } from './es.ts';
import { fr } from './fr.ts';
import type { Phrases } from './phrases.ts';
import { pt } from './pt.ts';

/** The built-in templates of one message field, by language. */
export type DefaultVariants = Readonly<Record<string, string>>;

const phrases: Record<string, Phrases> = { en, es, fr, de, pt };

/** Languages with built-in templates, English (the fallback) first. */
export const defaultLanguages: readonly string[] = Object.keys(phrases);

export const defaultTemplates = {
  sms: byLanguage((p) => p.sms),
  email: {
    subject: byLanguage((p) => p.codeEmail.subject),
    body: byLanguage((p, lang) => codeEmailBody(p, lang)),
  },
  link_email: {
    subject: byLanguage((p) => p.linkEmail.subject),
    body: byLanguage((p, lang) => linkEmailBody(p, lang)),
  },
} as const;

function byLanguage(pick: (p: Phrases, language: string) => string): DefaultVariants {
  return Object.fromEntries(Object.entries(phrases).map(([language, p]) => [language, pick(p, language)]));
}

function page(language: string, content: string): string {
  return `<!doctype html>
<html lang="${language}"><body style="font-family: system-ui, sans-serif; color: #1f2933;">
${content}
</body></html>`;
}

function codeEmailBody(p: Phrases, language: string): string {
  return page(
    language,
    `<p>${p.codeEmail.intro}</p>
<p style="font-size: 28px; font-weight: 700; letter-spacing: 4px;">{{ code }}</p>
<p>${p.codeEmail.expiry}</p>`,
  );
}

function linkEmailBody(p: Phrases, language: string): string {
  return page(
    language,
    `<p>${p.linkEmail.intro}</p>
<p><a href="{{ link }}" style="display: inline-block; padding: 10px 16px; background: #2563eb; color: #fff; border-radius: 6px; text-decoration: none;">${p.linkEmail.button}</a></p>
<p>${p.linkEmail.expiry}</p>`,
  );
}
