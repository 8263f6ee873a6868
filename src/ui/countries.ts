import { type CountryCode, getCountries, getCountryCallingCode } from 'libphonenumber-js/max';

export interface CountryOption {
  code: CountryCode;
  label: string;
  selected: boolean;
}

const cache = new Map<string, Omit<CountryOption, 'selected'>[]>();

/** Every country libphonenumber knows, named in the page language and sorted by that name. */
export function countryOptions(language: string, selected: string | undefined): CountryOption[] {
  let list = cache.get(language);
  if (!list) {
    const names = new Intl.DisplayNames([language], { type: 'region', fallback: 'code' });
    list = getCountries()
      .map((code) => ({ code, label: `${names.of(code) ?? code} (+${getCountryCallingCode(code)})` }))
      .sort((a, b) => a.label.localeCompare(b.label, language));
    cache.set(language, list);
  }
  const chosen = list.some((c) => c.code === selected) ? selected : 'US';
  return list.map((c) => ({ ...c, selected: c.code === chosen }));
}

/** Where a page language is most spoken, when the browser named no region. */
export const LANGUAGE_COUNTRY: Record<string, CountryCode> = {
  en: 'US',
  es: 'ES',
  fr: 'FR',
  de: 'DE',
  pt: 'BR',
};
