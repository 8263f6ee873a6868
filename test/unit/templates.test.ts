import { describe, expect, it } from 'vitest';
import type { LoginMessage } from '../../src/core/ports/delivery.ts';
import { withApplicationDefaults, withConnectionDefaults } from '../../src/core/seed.ts';
import { renderMessage, templateProblems, templateReport } from '../../src/delivery/message.ts';
import { smsLength } from '../../src/delivery/sms-segments.ts';
import {
  htmlToText,
  renderHtml,
  renderText,
  TemplateError,
  type TemplateVariables,
  validateTemplate,
} from '../../src/delivery/templates.ts';

const SCRIPT = '<script>alert("x")</script>';

function vars(overrides: Partial<TemplateVariables> = {}): TemplateVariables {
  return {
    code: '042137',
    link: 'https://login.example.com/passwordless/verify_redirect?a=1&b=2',
    send: 'code',
    application: { name: 'Acme', client_id: 'acme-client' },
    connection: { name: 'email' },
    request_language: 'fr',
    language: 'fr',
    operation: 'login',
    ttl_minutes: 5,
    ...overrides,
  };
}

describe('liquid templates', () => {
  it('inserts every documented variable', () => {
    const source =
      '{{ code }}|{{ link }}|{{ send }}|{{ application.name }}|{{ connection.name }}|' +
      '{{ request_language }}|{{ language }}|{{ operation }}|{{ ttl_minutes }}';
    expect(renderText(source, 'liquid', vars({ request_language: 'fr-CA' }))).toBe(
      '042137|https://login.example.com/passwordless/verify_redirect?a=1&b=2|code|Acme|email|fr-CA|fr|login|5',
    );
  });

  it('supports tags and filters', () => {
    const source =
      '{% if send == "link" %}Open {{ link }}{% else %}Code: {{ code }}{% endif %} ({{ application.name | upcase }})';
    expect(renderText(source, 'liquid', vars())).toBe('Code: 042137 (ACME)');
    expect(renderText(source, 'liquid', vars({ send: 'link', link: 'https://x.example/l' }))).toBe(
      'Open https://x.example/l (ACME)',
    );
  });

  it('renders a missing variable as nothing', () => {
    expect(renderText('[{{ nothing }}]', 'liquid', vars())).toBe('[]');
  });

  it('escapes inserted values in HTML but not in plain text', () => {
    const values = vars({ application: { name: SCRIPT, client_id: 'c' } });
    const html = renderHtml('<p>Sign in to {{ application.name }}</p>', 'liquid', values);
    expect(html).not.toContain('<script>');
    expect(html).toBe('<p>Sign in to &lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt;</p>');
    expect(renderText('Sign in to {{ application.name }}', 'liquid', values)).toBe(`Sign in to ${SCRIPT}`);
  });

  it('escapes a value inside an HTML attribute', () => {
    const html = renderHtml(
      '<a href="{{ link }}">go</a>',
      'liquid',
      vars({ link: 'https://x.example/?a=1&b="><img src=x>' }),
    );
    expect(html).toBe('<a href="https://x.example/?a=1&amp;b=&#34;&gt;&lt;img src=x&gt;">go</a>');
  });

  it('does not let a value inject Liquid', () => {
    const values = vars({ application: { name: '{{ code }}{% raw %}', client_id: 'c' } });
    expect(renderText('{{ application.name }}', 'liquid', values)).toBe('{{ code }}{% raw %}');
  });
});

describe('md_with_macros templates', () => {
  it('replaces every @@password@@ with the code', () => {
    expect(renderText('Your code is @@password@@. Again: @@password@@', 'md_with_macros', vars())).toBe(
      'Your code is 042137. Again: 042137',
    );
  });

  it('replaces @@link@@ and leaves Liquid syntax alone', () => {
    expect(renderText('@@link@@ {{ code }}', 'md_with_macros', vars({ link: 'https://x.example/l' }))).toBe(
      'https://x.example/l {{ code }}',
    );
  });

  it('escapes inserted values in HTML', () => {
    const html = renderHtml(
      '<b>@@password@@</b> <a href="@@link@@">x</a>',
      'md_with_macros',
      vars({ code: '<i>1</i>', link: 'https://x.example/?a=1&b="2"' }),
    );
    expect(html).toBe(
      '<b>&#60;i&#62;1&#60;/i&#62;</b> <a href="https://x.example/?a=1&#38;b=&#34;2&#34;">x</a>',
    );
  });

  it('inserts nothing for a missing code', () => {
    expect(renderText('[@@password@@]', 'md_with_macros', vars({ code: null }))).toBe('[]');
  });
});

describe('validateTemplate', () => {
  it('accepts good templates of both syntaxes', () => {
    expect(() => validateTemplate('{{ code }} for {{ application.name }}', 'liquid', 'text')).not.toThrow();
    expect(() => validateTemplate('<p>{{ code }}</p>', 'liquid', 'html')).not.toThrow();
    expect(() => validateTemplate('@@password@@ {{ broken', 'md_with_macros', 'text')).not.toThrow();
  });

  it.each([
    ['an unclosed output', 'Your code is {{ code '],
    ['an unclosed tag', '{% if code %}Your code'],
    ['an unknown tag', '{% frobnicate %}'],
    ['an unknown filter', '{{ code | frobnicate }}'],
  ])('refuses %s with a clear TemplateError', (_, source) => {
    let thrown: unknown;
    try {
      validateTemplate(source, 'liquid', 'html');
    } catch (error) {
      thrown = error;
    }
    expect(thrown).toBeInstanceOf(TemplateError);
    const message = (thrown as Error).message;
    expect(message).toMatch(/^template error: \S/);
    expect(message).not.toContain('\n');
  });

  it('names the connection and the field of a broken template', () => {
    const connection = withConnectionDefaults({
      name: 'sms-acme',
      strategy: 'sms',
      options: withConnectionDefaults({ name: 'x', strategy: 'sms' }).options,
    });
    connection.options.template = 'Code: {{ code ';
    connection.options.syntax = 'liquid';
    connection.options.email = { subject: '{% if %}', body: '<p>{{ code }}</p>' };
    const problems = templateProblems(connection);
    expect(problems).toHaveLength(2);
    expect(problems[0]).toMatch(/^connection "sms-acme" options\.template: template error: /);
    expect(problems[1]).toMatch(/^connection "sms-acme" options\.email\.subject: template error: /);
  });
});

describe('renderMessage', () => {
  const application = withApplicationDefaults({ client_id: 'acme-client', name: SCRIPT });
  const message = (overrides: Partial<LoginMessage>): LoginMessage => ({
    application,
    connection: withConnectionDefaults({ name: 'email', strategy: 'email' }),
    channel: 'email',
    to: 'ann@example.com',
    send: 'code',
    code: '042137',
    link: null,
    language: null,
    ttl_seconds: 300,
    ...overrides,
  });

  it('renders the default code email with the application name escaped in HTML', () => {
    const out = renderMessage(message({}));
    expect(out.subject).toBe(`Your ${SCRIPT} verification code`);
    expect(out.html).toContain('042137');
    expect(out.html).not.toContain('<script>');
    expect(out.html).toContain('&lt;script&gt;');
    expect(out.text).toContain('042137');
    expect(out.text).not.toContain('<p>');
    expect(out.text).toContain('5 minutes');
  });

  it('renders an SMS from an md_with_macros template', () => {
    const connection = withConnectionDefaults({ name: 'sms', strategy: 'sms' });
    connection.options.template = 'Your code is @@password@@';
    const out = renderMessage(message({ connection, channel: 'sms', to: '+14155550100' }));
    expect(out).toMatchObject({ channel: 'sms', to: '+14155550100', subject: null, html: null });
    expect(out.text).toBe('Your code is 042137');
    expect(out).toMatchObject({ segments: 1, encoding: 'GSM-7', language: 'en' });
  });

  it('reports the segments of a long or non-GSM SMS', () => {
    const connection = withConnectionDefaults({ name: 'sms', strategy: 'sms' });
    connection.options.template = `@@password@@ ${'x'.repeat(160)}`;
    const sms = message({ connection, channel: 'sms', to: '+14155550100' });
    expect(renderMessage(sms)).toMatchObject({ segments: 2, encoding: 'GSM-7' });
    connection.options.template = '🔐 @@password@@';
    expect(renderMessage(sms)).toMatchObject({ text: '🔐 042137', segments: 1, encoding: 'UCS-2' });
  });

  it('renders the built-in SMS as Liquid even when syntax says md_with_macros', () => {
    const connection = withConnectionDefaults({ name: 'sms', strategy: 'sms' });
    connection.options.syntax = 'md_with_macros';
    const out = renderMessage(message({ connection, channel: 'sms', to: '+14155550100' }));
    expect(out.text).toMatch(/^042137 is your .* verification code\. It expires in 5 minutes\./);
  });

  it('derives a plain-text part that keeps the link', () => {
    const text = htmlToText('<p>Hello</p><p><a href="https://x.example/l?a=1&amp;b=2">Sign in</a></p>');
    expect(text).toContain('Hello');
    expect(text).toContain('https://x.example/l?a=1&b=2');
    expect(text).not.toMatch(/<\/?[a-z]/);
  });
});

describe('templateProblems with language variants', () => {
  const connection = (strategy: 'email' | 'sms', options: Record<string, unknown>) =>
    withConnectionDefaults({ name: strategy, strategy, options: options as never });

  it('accepts the built-in templates and good variants', () => {
    expect(templateProblems(connection('email', {}))).toEqual([]);
    expect(templateProblems(connection('sms', {}))).toEqual([]);
    expect(
      templateProblems(
        connection('email', {
          email: {
            subject: { en: 'Your code', fr: 'Votre code' },
            body: { en: '<p>{{ code }}</p>', fr: '<p>Code&nbsp;: {{ code }}</p>' },
          },
          link_email: {
            body: { en: '<a href="{{ link }}">Sign in</a>', 'pt-BR': '<a href="{{ link }}">Entrar</a>' },
          },
        }),
      ),
    ).toEqual([]);
  });

  it('names the field and the language of a broken variant', () => {
    const problems = templateProblems(
      connection('email', {
        email: { body: { en: '<p>{{ code }}</p>', fr: '<p>{{ code | nosuchfilter }}</p>' } },
        link_email: { subject: { en: 'Sign in', de: '{% if %}' } },
      }),
    );
    expect(problems).toEqual([
      expect.stringMatching(/^connection "email" options\.email\.body\.fr: template error: .*nosuchfilter/),
      expect.stringMatching(/^connection "email" options\.link_email\.subject\.de: template error: \S/),
    ]);
    for (const problem of problems) expect(problem).not.toContain('\n');
  });

  it('checks every SMS variant, named by language', () => {
    const problems = templateProblems(
      connection('sms', {
        syntax: 'liquid',
        template: { en: '{{ code }} is your code', es: '{{ code }} es tu código {% endif %}' },
      }),
    );
    expect(problems).toHaveLength(1);
    expect(problems[0]).toMatch(/^connection "sms" options\.template\.es: template error: /);
  });

  it('refuses a code message that does not show the code, naming the macro to add', () => {
    expect(templateProblems(connection('sms', { template: 'Your code is ready' }))).toEqual([
      'connection "sms" options.template: the message does not show the code: add @@password@@',
    ]);
    expect(
      templateProblems(
        connection('sms', { syntax: 'liquid', template: { en: '{{ code }}', fr: 'Votre code' } }),
      ),
    ).toEqual(['connection "sms" options.template.fr: the message does not show the code: add {{ code }}']);
    expect(templateProblems(connection('email', { email: { body: '<p>Hello</p>' } }))).toEqual([
      'connection "email" options.email.body: the message does not show the code: add {{ code }}',
    ]);
  });

  it('refuses a link email without the link, but lets a subject leave the code out', () => {
    expect(
      templateProblems(
        connection('email', {
          email: { subject: 'Your code' },
          link_email: {
            syntax: 'md_with_macros',
            body: { en: '<a href="@@link@@">Sign in</a>', es: 'Hola' },
          },
        }),
      ),
    ).toEqual([
      'connection "email" options.link_email.body.es: the message does not show the link: add @@link@@',
    ]);
  });

  it('checks a variant with its own language in {{ language }}', () => {
    const template = { en: '{{ code }}', fr: '{% if language == "fr" %}{{ code }}{% endif %}' };
    expect(templateProblems(connection('sms', { syntax: 'liquid', template }))).toEqual([]);
  });
});

describe('templateReport', () => {
  it('reports the SMS segments of each built-in language', () => {
    const report = templateReport(withConnectionDefaults({ name: 'sms', strategy: 'sms' }));
    expect(report.connection).toBe('sms');
    expect(report.problems).toEqual([]);
    expect(report.sms.map((s) => s.language)).toEqual(['en', 'es', 'fr', 'de', 'pt']);
    for (const entry of report.sms) {
      expect(entry.text).toContain('123456');
      expect(entry.segments).toBeGreaterThanOrEqual(1);
      expect(entry).toMatchObject(smsLength(entry.text));
    }
    expect(report.sms.find((s) => s.language === 'en')).toMatchObject({ encoding: 'GSM-7', segments: 1 });
    // Portuguese needs characters outside GSM-7 (ã, ç), so it travels as UCS-2.
    expect(report.sms.find((s) => s.language === 'pt')).toMatchObject({ encoding: 'UCS-2' });
  });

  it('reports a connection template per language, with the code length and application name given', () => {
    const connection = withConnectionDefaults({
      name: 'sms-eu',
      strategy: 'sms',
      options: {
        totp: { length: 8, time_step: 300 },
        template: { en: '@@password@@', fr: 'Code : @@password@@ ✓' },
      } as never,
    });
    const report = templateReport(connection, { applicationName: 'A'.repeat(200) });
    expect(report.sms).toEqual([
      { language: 'en', text: '12345678', characters: 8, encoding: 'GSM-7', segments: 1, units: 8 },
      {
        language: 'fr',
        text: 'Code : 12345678 ✓',
        characters: 17,
        encoding: 'UCS-2',
        segments: 1,
        units: 17,
      },
    ]);
    const long = templateReport(withConnectionDefaults({ name: 'sms', strategy: 'sms' }), {
      applicationName: 'A'.repeat(200),
    });
    expect(long.sms[0]?.segments).toBe(3);
  });

  it('reports problems and no SMS lengths for an email connection', () => {
    const connection = withConnectionDefaults({
      name: 'email',
      strategy: 'email',
      options: { email: { subject: '{{ x | nope }}' } } as never,
    });
    const report = templateReport(connection);
    expect(report.sms).toEqual([]);
    expect(report.problems).toEqual([expect.stringMatching(/^connection "email" options\.email\.subject: /)]);
  });
});

describe('smsLength', () => {
  it('counts plain GSM-7 text in septets', () => {
    expect(smsLength('Your code is 123456')).toEqual({ encoding: 'GSM-7', segments: 1, units: 19 });
    expect(smsLength('Ça coûte')).toMatchObject({ encoding: 'UCS-2' }); // û is not GSM-7
    expect(smsLength('Çà è é ù ì ò ñ ü ß £ ¥ ¿ ¡ Δ')).toMatchObject({ encoding: 'GSM-7', units: 28 });
  });

  it('counts characters of the extension table twice', () => {
    expect(smsLength('€')).toEqual({ encoding: 'GSM-7', segments: 1, units: 2 });
    expect(smsLength('[x]{y}|~^\\')).toEqual({ encoding: 'GSM-7', segments: 1, units: 18 });
    expect(smsLength('€'.repeat(80))).toMatchObject({ segments: 1, units: 160 });
    expect(smsLength('€'.repeat(81))).toMatchObject({ segments: 2, units: 162 });
  });

  it.each([
    [160, 1],
    [161, 2],
    [306, 2],
    [307, 3],
    [459, 3],
    [460, 4],
  ])('sends %i GSM-7 characters in %i segment(s)', (length, segments) => {
    expect(smsLength('a'.repeat(length))).toEqual({ encoding: 'GSM-7', segments, units: length });
  });

  it.each([
    [70, 1],
    [71, 2],
    [134, 2],
    [135, 3],
  ])('sends %i UCS-2 units in %i segment(s)', (length, segments) => {
    expect(smsLength(`ç${'a'.repeat(length - 1)}`)).toEqual({ encoding: 'UCS-2', segments, units: length });
  });

  it('counts an emoji outside the BMP as two UCS-2 units', () => {
    expect(smsLength('Code 1234 🔐')).toEqual({ encoding: 'UCS-2', segments: 1, units: 12 });
    expect(smsLength('😀'.repeat(35))).toMatchObject({ segments: 1, units: 70 });
    expect(smsLength(`${'😀'.repeat(35)}a`)).toMatchObject({ segments: 2, units: 71 });
  });

  it('counts an empty text as one segment', () => {
    expect(smsLength('')).toEqual({ encoding: 'GSM-7', segments: 1, units: 0 });
  });
});
