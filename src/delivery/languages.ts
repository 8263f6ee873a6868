/** A template given once for every language, or once per language tag (`{ en: ..., pt-BR: ... }`). */
export type Localized = string | Readonly<Record<string, string>>;

/** The variant of a template picked for a message, and the language it stands for. */
export interface ChosenVariant {
  language: string;
  source: string;
}

/**
 * Picks a template's variant for a message. Tried in order: `preferred` (the language already chosen
 * for another part of the same message), the request's tag and its shorter prefixes (`pt-BR`, then
 * `pt`), the connection's default language (and its prefixes), English, then the first variant.
 * Tags match case-insensitively. A plain string serves every language and counts as written in the
 * default language, so the parts left to the built-in templates (a subject, say) match it.
 */
export function chooseVariant(
  template: Localized,
  requested: string | null,
  defaultLanguage: string,
  preferred?: string,
): ChosenVariant {
  if (typeof template === 'string') {
    return { language: defaultLanguage, source: template };
  }
  const keys = new Map(Object.keys(template).map((key) => [key.toLowerCase(), key]));
  for (const tag of languagePreferences(requested, defaultLanguage, preferred)) {
    const key = keys.get(tag);
    if (key !== undefined) return { language: key, source: template[key] as string };
  }
  const [first] = Object.entries(template);
  if (!first) throw new Error('a localized template needs at least one variant');
  return { language: first[0], source: first[1] };
}

/** The lower-cased tags to try, best first, without repeats. */
export function languagePreferences(
  requested: string | null,
  defaultLanguage: string,
  preferred?: string,
): string[] {
  const tags = [preferred, requested, defaultLanguage, 'en'].flatMap((tag) => (tag ? prefixes(tag) : []));
  return [...new Set(tags)];
}

/** The variants of a template as `[language, source]` pairs; a plain string is one `[null, source]`. */
export function variantsOf(template: Localized): Array<[string | null, string]> {
  return typeof template === 'string' ? [[null, template]] : Object.entries(template);
}

/** `zh-Hant-TW` → `zh-hant-tw`, `zh-hant`, `zh` (RFC 4647 lookup order). */
function prefixes(tag: string): string[] {
  const parts = tag.trim().toLowerCase().split('-');
  return parts.map((_, i) => parts.slice(0, parts.length - i).join('-')).filter((t) => t !== '');
}
