import type { FastifyRequest } from 'fastify';
import { describe, expect, it } from 'vitest';
import { validateConfig } from '../../src/config/load.ts';
import type { Connection } from '../../src/core/model.ts';
import type { LoginMessage } from '../../src/core/ports/delivery.ts';
import { withApplicationDefaults, withConnectionDefaults } from '../../src/core/seed.ts';
import { defaultLanguages } from '../../src/delivery/default-templates/index.ts';
import { chooseVariant, languagePreferences } from '../../src/delivery/languages.ts';
import { renderMessage } from '../../src/delivery/message.ts';
import { requestLanguage } from '../../src/http/request-language.ts';

const APP_NAME = 'Tom & Jerry <Co>';
const LINK = 'https://login.example.com/passwordless/verify_redirect?state=a&token=b"c';

function message(overrides: Partial<LoginMessage> & { options?: Record<string, unknown> }): LoginMessage {
  const { options, ...rest } = overrides;
  const channel = rest.channel ?? 'email';
  return {
    application: withApplicationDefaults({ client_id: 'acme-client', name: APP_NAME }),
    connection: connection(channel, options),
    channel,
    to: channel === 'email' ? 'ann@example.com' : '+14155550100',
    send: 'code',
    code: '042137',
    link: null,
    language: null,
    ttl_seconds: 300,
    ...rest,
  };
}

function connection(strategy: 'email' | 'sms', options: Record<string, unknown> = {}): Connection {
  return withConnectionDefaults({ name: strategy, strategy, options: options as never });
}

/** Words each built-in language must use: the message kind, the lifetime, and "ignore it". */
const WORDING = {
  en: {
    code: 'verification code',
    signIn: 'Sign in to',
    five: '5 minutes',
    one: '1 minute.',
    ignore: 'ignore',
  },
  es: {
    code: 'código de verificación',
    signIn: 'Inicia sesión en',
    five: '5 minutos',
    one: '1 minuto',
    ignore: 'ignora',
  },
  fr: {
    code: 'code de vérification',
    signIn: 'Connexion à',
    five: '5 minutes',
    one: '1 minute.',
    ignore: 'ignorez',
  },
  de: {
    code: 'Bestätigungscode',
    signIn: 'anmelden',
    five: '5 Minuten',
    one: '1 Minute',
    ignore: 'ignorieren',
  },
  pt: {
    code: 'código de verificação',
    signIn: 'Entrar em',
    five: '5 minutos',
    one: '1 minuto',
    ignore: 'ignore',
  },
} as const;

describe('built-in templates', () => {
  it('ship English, Spanish, French, German and Portuguese, English first', () => {
    expect(defaultLanguages).toEqual(['en', 'es', 'fr', 'de', 'pt']);
  });

  describe.each(Object.entries(WORDING))('in %s', (language, words) => {
    it('render the SMS code message as plain text with the code', () => {
      const out = renderMessage(message({ channel: 'sms', language }));
      expect(out).toMatchObject({ channel: 'sms', subject: null, html: null, language });
      expect(out.text.startsWith('042137 ')).toBe(true);
      expect(out.text).toContain(APP_NAME);
      expect(out.text).toContain(words.code);
      expect(out.text).toContain(words.five);
      expect(out.text).toContain(words.ignore);
      expect(out.segments).toBeGreaterThanOrEqual(1);
      expect(out.segments).toBeLessThanOrEqual(2);
      expect(out.encoding).toMatch(/^(GSM-7|UCS-2)$/);
    });

    it('render the code email with escaped values and a derived text part', () => {
      const out = renderMessage(message({ language }));
      expect(out.language).toBe(language);
      expect(out.subject).toContain(APP_NAME);
      expect(out.subject).toContain(words.code);
      expect(out.html).toContain(`<html lang="${language}">`);
      expect(out.html).toContain('042137');
      expect(out.html).toContain('Tom &amp; Jerry &lt;Co&gt;');
      expect(out.html).not.toContain('<Co>');
      expect(out.text).toContain('042137');
      expect(out.text).toContain(APP_NAME);
      expect(out.text).toContain(words.five);
      expect(out.text).toContain(words.ignore);
      expect(out.text).not.toMatch(/<\/?(p|html|body)\b/);
    });

    it('render the link email with the link escaped in HTML and whole in text', () => {
      const out = renderMessage(
        message({ language, send: 'link', code: null, link: LINK, ttl_seconds: 900 }),
      );
      expect(out.subject).toContain(words.signIn);
      expect(out.html).toContain(
        'href="https://login.example.com/passwordless/verify_redirect?state=a&amp;token=b&#34;c"',
      );
      expect(out.html).toContain('Tom &amp; Jerry &lt;Co&gt;');
      expect(out.text).toContain(LINK);
      expect(out.text).toContain(
        language === 'de'
          ? '15 Minuten'
          : language === 'en' || language === 'fr'
            ? '15 minutes'
            : '15 minutos',
      );
      expect(out.text).toContain(words.ignore);
      expect(out.text).not.toMatch(/<\/?(p|a|html)\b/);
    });

    it('say "1 minute" in the singular', () => {
      const sms = renderMessage(message({ channel: 'sms', language, ttl_seconds: 60 }));
      expect(sms.text).toContain(words.one);
    });
  });
});

describe('choosing a language', () => {
  const variants = { en: 'en', pt: 'pt', 'pt-BR': 'pt-BR', fr: 'fr', 'zh-Hant': 'zh-Hant' };

  it.each([
    ['pt-BR', 'pt-BR'],
    ['pt-PT', 'pt'],
    ['PT-br', 'pt-BR'],
    ['fr-CA', 'fr'],
    ['zh-Hant-TW', 'zh-Hant'],
    ['it', 'en'],
    [null, 'en'],
  ])('picks the %s request → %s variant', (requested, expected) => {
    expect(chooseVariant(variants, requested, 'en')).toEqual({ language: expected, source: expected });
  });

  it('falls back to the default language, then English, then the first variant', () => {
    expect(chooseVariant({ en: 'en', de: 'de' }, 'it', 'de').language).toBe('de');
    expect(chooseVariant({ en: 'en', de: 'de' }, 'it', 'fr').language).toBe('en');
    expect(chooseVariant({ es: 'es', de: 'de' }, 'it', 'fr').language).toBe('es');
    expect(chooseVariant({ es: 'es', de: 'de' }, null, 'de-AT').language).toBe('de');
  });

  it('tries a preferred language (the rest of the message) first', () => {
    expect(chooseVariant({ en: 'en', de: 'de' }, 'de', 'en', 'en').language).toBe('en');
    expect(languagePreferences('pt-BR', 'de-AT', 'es')).toEqual(['es', 'pt-br', 'pt', 'de-at', 'de', 'en']);
  });

  it('takes a plain string for every language, as written in the default language', () => {
    expect(chooseVariant('Hello', 'fr', 'en')).toEqual({ language: 'en', source: 'Hello' });
    expect(chooseVariant('Hallo', 'fr', 'de')).toEqual({ language: 'de', source: 'Hallo' });
  });

  it('applies the same rules to the built-in templates', () => {
    expect(renderMessage(message({ language: 'pt-BR' })).language).toBe('pt');
    expect(renderMessage(message({ language: 'es-419' })).subject).toContain('código');
    expect(renderMessage(message({ language: 'it' })).language).toBe('en');
    expect(renderMessage(message({ language: null, options: { default_language: 'de' } })).language).toBe(
      'de',
    );
    expect(renderMessage(message({ language: 'it', options: { default_language: 'it' } })).language).toBe(
      'en',
    );
  });
});

describe('the request language', () => {
  const request = (headers: Record<string, string>) => ({ headers }) as unknown as FastifyRequest;

  it('prefers x-request-language over Accept-Language', () => {
    expect(
      requestLanguage(request({ 'x-request-language': 'es', 'accept-language': 'fr-CA,fr;q=0.9' })),
    ).toBe('es');
    expect(requestLanguage(request({ 'accept-language': 'fr-CA,fr;q=0.9' }))).toBe('fr-CA');
    expect(requestLanguage(request({ 'x-request-language': 'not a tag', 'accept-language': 'de' }))).toBe(
      'de',
    );
    expect(requestLanguage(request({}))).toBeNull();
  });

  it('picks the message language from it', () => {
    const language = requestLanguage(
      request({ 'x-request-language': 'es', 'accept-language': 'fr-CA,fr;q=0.9' }),
    );
    expect(renderMessage(message({ channel: 'sms', language })).text).toContain('código');
  });
});

describe('per-connection variants', () => {
  it('picks an SMS variant and exposes language and request_language', () => {
    const options = {
      syntax: 'liquid',
      template: {
        en: '{{ code }} [{{ language }}/{{ request_language }}]',
        es: 'Código {{ code }} [{{ language }}/{{ request_language }}]',
      },
    };
    const sms = (language: string | null) =>
      renderMessage(message({ channel: 'sms', language, options })).text;
    expect(sms('es-MX')).toBe('Código 042137 [es/es-MX]');
    expect(sms('fr')).toBe('042137 [en/fr]');
    expect(sms(null)).toBe('042137 [en/]');
  });

  it('picks md_with_macros SMS variants by language too', () => {
    const options = { template: { en: 'Code: @@password@@', de: 'Ihr Code: @@password@@' } };
    expect(renderMessage(message({ channel: 'sms', language: 'de-CH', options })).text).toBe(
      'Ihr Code: 042137',
    );
  });

  it('picks email subject and body variants, keeping them in one language', () => {
    const options = {
      email: {
        from: 'login@example.com',
        subject: { en: 'Your code', de: 'Ihr Code', fr: 'Votre code' },
        body: { en: '<p>Code: {{ code }}</p>', fr: '<p>Code&nbsp;: {{ code }}</p>' },
      },
    };
    const fr = renderMessage(message({ language: 'fr-BE', options }));
    expect(fr).toMatchObject({ language: 'fr', subject: 'Votre code', html: '<p>Code&nbsp;: 042137</p>' });
    expect(fr.from).toBe('login@example.com');
    // No German body, so the English one is used, and the subject follows it rather than the request.
    const de = renderMessage(message({ language: 'de', options }));
    expect(de).toMatchObject({ language: 'en', subject: 'Your code', html: '<p>Code: 042137</p>' });
  });

  it('fills a missing field from the built-ins in the language of the rest', () => {
    const custom = {
      link_email: { body: { es: '<a href="{{ link }}">Entrar</a>', en: '<a href="{{ link }}">Go</a>' } },
    };
    const es = renderMessage(
      message({ language: 'es', send: 'link', code: null, link: LINK, options: custom }),
    );
    expect(es.subject).toBe(`Inicia sesión en ${APP_NAME}`);
    // A plain-string body counts as written in the default language, and so does the built-in subject.
    const plain = { email: { body: '<p>{{ code }}</p>' }, default_language: 'en' };
    expect(renderMessage(message({ language: 'fr', options: plain })).subject).toBe(
      `Your ${APP_NAME} verification code`,
    );
  });

  it('renders a subject as plain text and a body with escaped values in every variant', () => {
    const options = {
      email: {
        subject: { en: '{{ application.name }}', pt: '{{ application.name }}!' },
        body: { pt: '<b>{{ application.name }} {{ code }}</b>' },
      },
    };
    const out = renderMessage(message({ language: 'pt', options }));
    expect(out.subject).toBe(`${APP_NAME}!`);
    expect(out.html).toBe('<b>Tom &amp; Jerry &lt;Co&gt; 042137</b>');
    expect(out.text).toBe(`${APP_NAME} 042137`);
  });
});

describe('template variants in the config', () => {
  const sms = (options: Record<string, unknown>) =>
    validateConfig({ connections: [{ name: 'sms', strategy: 'sms', options }] }).connections[0]?.options;

  it('accepts a string or a map of language tags for each template field', () => {
    expect(
      sms({ template: { en: 'a @@password@@', 'pt-BR': 'b @@password@@' }, default_language: 'pt-BR' }),
    ).toMatchObject({
      template: { en: 'a @@password@@', 'pt-BR': 'b @@password@@' },
      default_language: 'pt-BR',
    });
    expect(sms({ email: { subject: { en: 's' }, body: '<p>{{ code }}</p>' } })?.email?.subject).toEqual({
      en: 's',
    });
    expect(sms({})?.default_language).toBe('en');
  });

  it.each([
    [{ template: { english: 'x' } }, /options\.template\.english: must match pattern/],
    [{ template: {} }, /options\.template: must not have fewer than 1 properties/],
    [{ link_email: { body: { fr: 5 } } }, /options\.link_email\.body\.fr: must be string/],
    [{ default_language: 'en_US' }, /options\.default_language: must match pattern/],
  ])('refuses %j', (options, message) => {
    expect(() => sms(options)).toThrow(message);
  });
});
