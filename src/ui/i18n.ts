import { de } from './locales/de.ts';
import { type Catalogue, en } from './locales/en.ts';
import { es } from './locales/es.ts';
import { fr } from './locales/fr.ts';
import { pt } from './locales/pt.ts';

/** The hosted pages' languages: one catalogue file each under locales/. */
const CATALOGUES = { en, es, fr, de, pt } satisfies Record<string, Catalogue>;

export type Language = keyof typeof CATALOGUES;
export type { Catalogue };

const TAG = /^([A-Za-z]{2,3})(?:-[A-Za-z0-9]{1,8})*$/;

/**
 * The page language: the first supported tag of `ui_locales` (space-separated, in order of
 * preference), then of `Accept-Language` (by q-value), then English.
 */
export function pickLanguage(uiLocales: string | undefined, acceptLanguage: string | undefined): Language {
  for (const tag of preferredTags(uiLocales, acceptLanguage)) {
    const primary = TAG.exec(tag)?.[1]?.toLowerCase();
    if (primary !== undefined && primary in CATALOGUES) return primary as Language;
  }
  return 'en';
}

/** The first region a preferred tag names (`es-MX` gives `MX`), for the country picker's default. */
export function preferredRegion(
  uiLocales: string | undefined,
  acceptLanguage: string | undefined,
): string | undefined {
  for (const tag of preferredTags(uiLocales, acceptLanguage)) {
    const region = tag.split('-').find((part, i) => i > 0 && /^[A-Za-z]{2}$/.test(part));
    if (region) return region.toUpperCase();
  }
  return undefined;
}

/** The catalogue of a language with `{name}` placeholders filled from `vars` (left as-is when absent). */
export function messages(language: Language, vars: Record<string, string | number> = {}): Catalogue {
  const source = CATALOGUES[language];
  const out = {} as Catalogue;
  for (const key of Object.keys(source) as (keyof Catalogue)[]) {
    out[key] = source[key].replace(/\{(\w+)\}/g, (whole, name: string) =>
      name in vars ? String(vars[name]) : whole,
    );
  }
  return out;
}

function preferredTags(uiLocales: string | undefined, acceptLanguage: string | undefined): string[] {
  const fromUi = (uiLocales ?? '').split(/\s+/).filter((t) => TAG.test(t));
  const fromHeader = (acceptLanguage ?? '')
    .split(',')
    .map((part, index) => {
      const [tag = '', ...params] = part.trim().split(';');
      const q = params.map((p) => /^\s*q=([0-9.]+)\s*$/.exec(p)?.[1]).find((v) => v !== undefined);
      return { tag: tag.trim(), q: q === undefined ? 1 : Number(q), index };
    })
    .filter((entry) => TAG.test(entry.tag) && entry.q > 0)
    .sort((a, b) => b.q - a.q || a.index - b.index)
    .map((entry) => entry.tag);
  return [...fromUi, ...fromHeader];
}
