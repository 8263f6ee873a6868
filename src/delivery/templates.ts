import { convert } from 'html-to-text';
import { Liquid, type Template } from 'liquidjs';
import { LRUCache } from 'lru-cache';

export type TemplateSyntax = 'liquid' | 'md_with_macros';

/** The variables every login message template can use. */
export interface TemplateVariables {
  code: string | null;
  link: string | null;
  send: 'code' | 'link';
  application: { name: string; client_id: string };
  connection: { name: string };
  /** The tag the request asked for (`pt-BR`), or null. */
  request_language: string | null;
  /** The language of the template variant in use (`pt`), or the connection's default language. */
  language: string;
  operation: 'login';
  ttl_minutes: number;
  email?: string;
  phone_number?: string;
}

/** Thrown when a template does not parse or render; its message says where. */
export class TemplateError extends Error {
  override name = 'TemplateError';
}

// A locale given, liquidjs does not ask Intl for the default one at start: that loads ICU's date
// data (about 6 MB of the node binary's pages, resident from then on), which Tessera's own
// templates never need. It also makes the `date` filter's day and month names English whatever the
// host's locale (docs/configuration.md says so), instead of depending on the machine.
//
// Each engine keeps the templates it parsed: parsing is most of a render's cost, and the same few
// templates render at every login. Bounded, as connections (and their templates) keep changing.
const TEMPLATES_KEPT = 500;
interface Engine {
  liquid: Liquid;
  parsed: LRUCache<string, Template[]>;
}
const html: Engine = {
  liquid: new Liquid({ outputEscape: 'escape', strictFilters: true, locale: 'en-US' }),
  parsed: new LRUCache({ max: TEMPLATES_KEPT }),
};
const text: Engine = {
  liquid: new Liquid({ strictFilters: true, locale: 'en-US' }),
  parsed: new LRUCache({ max: TEMPLATES_KEPT }),
};

/** Renders a template as plain text (SMS, subjects). */
export function renderText(source: string, syntax: TemplateSyntax, vars: TemplateVariables): string {
  return render(text, source, syntax, vars, (s) => s);
}

/** Renders an HTML template; every inserted value is HTML-escaped. */
export function renderHtml(source: string, syntax: TemplateSyntax, vars: TemplateVariables): string {
  return render(html, source, syntax, vars, escapeHtml);
}

/**
 * Renders the plain-text part of an email. The text template is derived once from the HTML
 * template (tags and all), not from each rendered message: converting HTML is the costly part.
 */
export function renderTextFromHtml(
  htmlSource: string,
  syntax: TemplateSyntax,
  vars: TemplateVariables,
): string {
  let textSource = derivedText.get(htmlSource);
  if (textSource === undefined) {
    textSource = htmlToText(htmlSource);
    derivedText.set(htmlSource, textSource);
  }
  return renderText(textSource, syntax, vars);
}

const derivedText = new LRUCache<string, string>({ max: TEMPLATES_KEPT });

/** Plain text from HTML: links as `text [url]`, no wrapping, and no upper-casing that would break a `{{ tag }}`. */
export function htmlToText(html: string): string {
  return convert(html, {
    wordwrap: false,
    selectors: [
      { selector: 'a', options: { hideLinkHrefIfSameAsText: true } },
      ...['h1', 'h2', 'h3', 'h4', 'h5', 'h6'].map((selector) => ({
        selector,
        options: { uppercase: false },
      })),
    ],
  });
}

/** Values for trying a template out: a code, a link and a sample application. */
export function sampleVariables(overrides: Partial<TemplateVariables> = {}): TemplateVariables {
  return {
    code: '123456',
    link: 'https://example.com/passwordless/verify_redirect',
    send: 'code',
    application: { name: 'Sample', client_id: 'sample' },
    connection: { name: 'email' },
    request_language: 'en',
    language: 'en',
    operation: 'login',
    ttl_minutes: 5,
    ...overrides,
  };
}

/** Renders with sample values so that a broken template is refused when saved, not at login; returns the output. */
export function validateTemplate(
  source: string,
  syntax: TemplateSyntax,
  kind: 'text' | 'html',
  sample: TemplateVariables = sampleVariables(),
): string {
  return kind === 'html' ? renderHtml(source, syntax, sample) : renderText(source, syntax, sample);
}

function render(
  engine: Engine,
  source: string,
  syntax: TemplateSyntax,
  vars: TemplateVariables,
  escapeValue: (s: string) => string,
): string {
  if (syntax === 'md_with_macros') {
    return source
      .replaceAll('@@password@@', escapeValue(vars.code ?? ''))
      .replaceAll('@@link@@', escapeValue(vars.link ?? ''));
  }
  try {
    let templates = engine.parsed.get(source);
    if (!templates) {
      templates = engine.liquid.parse(source);
      engine.parsed.set(source, templates);
    }
    return engine.liquid.renderSync(templates, vars) as string;
  } catch (error) {
    throw new TemplateError(`template error: ${(error as Error).message.split('\n')[0]}`);
  }
}

function escapeHtml(value: string): string {
  return value.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}
