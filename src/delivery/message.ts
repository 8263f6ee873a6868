import type { ConnectionOptions } from '../config/schema.ts';
import type { Connection } from '../core/model.ts';
import type { LoginMessage } from '../core/ports/delivery.ts';
import { type DefaultVariants, defaultTemplates } from './default-templates/index.ts';
import { chooseVariant, type Localized, variantsOf } from './languages.ts';
import { type SmsEncoding, type SmsLength, smsLength } from './sms-segments.ts';
import {
  renderHtml,
  renderText,
  renderTextFromHtml,
  sampleVariables,
  type TemplateSyntax,
  type TemplateVariables,
  validateTemplate,
} from './templates.ts';

/** A rendered message, ready for a provider. */
export interface OutboundMessage {
  channel: 'email' | 'sms';
  to: string;
  from: string | null;
  subject: string | null;
  text: string;
  html: string | null;
  /** The language of the template variant used (`en`, `pt-BR`, ...). */
  language?: string;
  /** SMS only: how many segments the text is sent in, which is what providers bill. */
  segments?: number;
  /** SMS only: GSM-7, or UCS-2 when some character is outside the GSM 03.38 tables. */
  encoding?: SmsEncoding;
}

/** Renders a login message with the connection's templates (or the built-in ones), in the request's language. */
export function renderMessage(message: LoginMessage): OutboundMessage {
  const options = message.connection.options;
  const kind: MessageKind =
    message.channel === 'sms' ? 'sms' : message.send === 'link' ? 'link_email' : 'email';
  const templates = messageTemplates(options, kind);
  const defaultLanguage = options.default_language ?? 'en';
  const main = chooseVariant(templates.main.variants, message.language, defaultLanguage);
  const vars = variablesFor(message, main.language);
  const base = { channel: message.channel, to: message.to, language: main.language };
  if (templates.subject === null) {
    const text = renderText(main.source, templates.main.syntax, vars);
    const { segments, encoding } = smsLength(text);
    return { ...base, from: options.from ?? null, subject: null, text, html: null, segments, encoding };
  }
  const subject = chooseVariant(templates.subject.variants, message.language, defaultLanguage, main.language);
  const custom = kind === 'link_email' ? options.link_email : options.email;
  return {
    ...base,
    from: custom?.from ?? options.email?.from ?? null,
    subject: renderText(subject.source, templates.subject.syntax, vars),
    text: renderTextFromHtml(main.source, templates.main.syntax, vars),
    html: renderHtml(main.source, templates.main.syntax, vars),
  };
}

/**
 * Every problem in a connection's templates, found by rendering each language variant of each one
 * it sets with sample values (Liquid with strict filters; an email body's derived plain-text part
 * too). A code message (the SMS text, the code email's body) that does not show the code, or a link
 * email's body without the link, is a problem as well, not a warning: such a message can never
 * complete a login, so it is refused when saved rather than found by users. For md_with_macros that
 * means `@@password@@` / `@@link@@`; for Liquid, `{{ code }}` / `{{ link }}` on the path the sample
 * values take. Subjects may leave the code out.
 */
export function templateProblems(connection: Connection): string[] {
  const problems: string[] = [];
  const defaultLanguage = connection.options.default_language ?? 'en';
  for (const kind of KINDS) {
    const { main, subject } = messageTemplates(connection.options, kind);
    for (const [field, role] of [
      [main, 'main'],
      [subject, 'subject'],
    ] as const) {
      if (field?.path == null) continue;
      for (const [language, source] of variantsOf(field.variants)) {
        const where = language === null ? field.path : `${field.path}.${language}`;
        const vars = sampleFor(connection, kind, language ?? defaultLanguage);
        const problem = checkTemplate(source, field.syntax, kind, role, vars);
        if (problem) problems.push(`connection "${connection.name}" ${where}: ${problem}`);
      }
    }
  }
  return problems;
}

/** The length of one language's SMS, rendered with sample values. */
export interface SmsLengthReport extends SmsLength {
  language: string;
  /** Characters (code points) in the sample text. */
  characters: number;
  text: string;
}

/** What an operator should know about a connection's templates: its problems and what its SMS costs. */
export interface TemplateReport {
  connection: string;
  /** The same as templateProblems(connection); the server refuses to start while there are any. */
  problems: string[];
  /** SMS connections: per language variant (built-in ones when no template is set), the SMS length. */
  sms: SmsLengthReport[];
}

/**
 * Reports a connection's template problems and, for an SMS connection, the segments its message
 * takes in each language, rendered with a code of the configured length and a sample application
 * name (the name's length changes the count; pass the longest real one for a worst case).
 */
export function templateReport(
  connection: Connection,
  sample: { applicationName?: string } = {},
): TemplateReport {
  const report: TemplateReport = {
    connection: connection.name,
    problems: templateProblems(connection),
    sms: [],
  };
  if (connection.strategy !== 'sms') return report;
  const { main } = messageTemplates(connection.options, 'sms');
  const defaultLanguage = connection.options.default_language ?? 'en';
  for (const [variant, source] of variantsOf(main.variants)) {
    const language = variant ?? defaultLanguage;
    const vars = sampleFor(connection, 'sms', language, sample.applicationName);
    let text: string;
    try {
      text = renderText(source, main.syntax, vars);
    } catch {
      continue; // already among the problems
    }
    report.sms.push({ language, ...smsLength(text), characters: [...text].length, text });
  }
  return report;
}

type MessageKind = 'sms' | 'email' | 'link_email';
const KINDS: readonly MessageKind[] = ['sms', 'email', 'link_email'];

/** One template field: the connection's own, or the built-in one standing in for it. */
interface TemplateField {
  /** Where the connection sets it (`options.email.body`); null for a built-in. */
  path: string | null;
  variants: Localized;
  syntax: TemplateSyntax;
}

interface MessageTemplates {
  /** The SMS text or the email's HTML body; its variant decides the message's language. */
  main: TemplateField;
  /** Email only. */
  subject: TemplateField | null;
}

function messageTemplates(options: ConnectionOptions, kind: MessageKind): MessageTemplates {
  if (kind === 'sms') {
    // Auth0's SMS templates are md_with_macros unless they say otherwise.
    const main = field(
      'options.template',
      options.template,
      options.syntax ?? 'md_with_macros',
      defaultTemplates.sms,
    );
    return { main, subject: null };
  }
  const custom = options[kind];
  const syntax = custom?.syntax ?? 'liquid';
  return {
    main: field(`options.${kind}.body`, custom?.body, syntax, defaultTemplates[kind].body),
    subject: field(`options.${kind}.subject`, custom?.subject, syntax, defaultTemplates[kind].subject),
  };
}

function field(
  path: string,
  custom: Localized | undefined,
  syntax: TemplateSyntax,
  builtIn: DefaultVariants,
): TemplateField {
  return custom === undefined
    ? { path: null, variants: builtIn, syntax: 'liquid' }
    : { path, variants: custom, syntax };
}

function variablesFor(message: LoginMessage, language: string): TemplateVariables {
  const { connection, application } = message;
  return {
    code: message.code,
    link: message.link,
    send: message.send,
    application: { name: application.name, client_id: application.client_id },
    connection: { name: connection.name },
    request_language: message.language,
    language,
    operation: 'login',
    ttl_minutes: ttlMinutes(message.ttl_seconds),
    ...(message.channel === 'email' ? { email: message.to } : { phone_number: message.to }),
  };
}

function sampleFor(
  connection: Connection,
  kind: MessageKind,
  language: string,
  applicationName = 'Default App',
): TemplateVariables {
  const { totp, link_lifetime } = connection.options;
  const link = kind === 'link_email';
  return sampleVariables({
    code: link ? null : '1234567890'.slice(0, totp.length),
    link: link ? 'https://login.example.com/passwordless/verify_redirect' : null,
    send: link ? 'link' : 'code',
    application: { name: applicationName, client_id: 'sample-client' },
    connection: { name: connection.name },
    request_language: language,
    language,
    ttl_minutes: ttlMinutes(link ? (link_lifetime ?? totp.time_step) : totp.time_step),
    ...(kind === 'sms' ? { phone_number: '+14155550100' } : { email: 'sample@example.com' }),
  });
}

/** Renders one variant; returns what is wrong with it, or null. */
function checkTemplate(
  source: string,
  syntax: TemplateSyntax,
  kind: MessageKind,
  role: 'main' | 'subject',
  vars: TemplateVariables,
): string | null {
  const html = kind !== 'sms' && role === 'main';
  let output: string;
  try {
    output = validateTemplate(source, syntax, html ? 'html' : 'text', vars);
  } catch (error) {
    return (error as Error).message;
  }
  try {
    if (html) renderTextFromHtml(source, syntax, vars);
  } catch (error) {
    return `in the plain-text part derived from it: ${(error as Error).message}`;
  }
  if (role === 'subject') return null;
  const secret = kind === 'link_email' ? vars.link : vars.code;
  if (secret && !output.includes(secret)) {
    const [what, macro, tag] =
      kind === 'link_email' ? ['link', '@@link@@', '{{ link }}'] : ['code', '@@password@@', '{{ code }}'];
    return `the message does not show the ${what}: add ${syntax === 'liquid' ? tag : macro}`;
  }
  return null;
}

function ttlMinutes(seconds: number): number {
  return Math.max(1, Math.round(seconds / 60));
}
