import type { FastifyReply, FastifyRequest } from 'fastify';
import { parsePhoneNumberFromString } from 'libphonenumber-js/max';
import type { Context } from '../core/context.ts';
import { AuthError } from '../core/errors.ts';
import { type OpenTransaction, openLoginTransaction, resendWaitSeconds } from '../core/login-transactions.ts';
import type { Connection } from '../core/model.ts';
import type { PowChallenge } from '../core/proof-of-work.ts';
import { countryOptions, LANGUAGE_COUNTRY } from '../ui/countries.ts';
import { type Catalogue, type Language, messages, pickLanguage, preferredRegion } from '../ui/i18n.ts';
import { sendPage } from '../ui/pages.ts';
import { readCookie } from './cookies.ts';

/** Errors the page explains itself (and lets the user try again); any other ends at the app. */
export const PAGE_ERRORS: Record<string, keyof Catalogue> = {
  'bad.email': 'bad_email',
  'bad.phone_number': 'bad_phone',
  'bad.user': 'bad_user',
  wrong_code: 'wrong_code',
  expired_code: 'expired_code',
  too_many_attempts: 'too_many_attempts',
  too_many_requests: 'too_many_requests',
  resend_too_soon: 'resend_too_soon',
  sms_provider_error: 'provider_error',
  email_provider_error: 'provider_error',
};

interface Problem {
  key: keyof Catalogue | null;
  /** Shown when no translation applies. */
  description: string;
  seconds?: number;
}

/** Renders the hosted pages of one transaction. */
export class PageView {
  constructor(private readonly ctx: Context) {}

  /** The browser's transaction, or the "expired" page (answered here) when it has none. */
  async open(request: FastifyRequest, reply: FastifyReply, tx: string | undefined) {
    try {
      return await openLoginTransaction(this.ctx, tx, readCookie(request, this.ctx, 'login'));
    } catch (error) {
      if (!(error instanceof AuthError)) throw error;
      const language = pickLanguage(undefined, request.headers['accept-language']);
      const t = messages(language);
      await sendPage(
        reply,
        'message',
        { lang: language, title: t.expired_title, message: t.expired_message, error: true },
        { status: 400 },
      );
      return undefined;
    }
  }

  language(request: FastifyRequest, open: OpenTransaction): Language {
    return pickLanguage(open.transaction.params.ui_locales, request.headers['accept-language']);
  }

  stepUrl(open: OpenTransaction): string {
    const step = open.transaction.send === 'link' ? 'link' : 'code';
    return `/u/login/${step}?tx=${encodeURIComponent(open.tx)}`;
  }

  problem(error: unknown): Problem {
    if (!(error instanceof AuthError)) throw error;
    const seconds = Number(error.headers['retry-after'] ?? 0);
    return { key: PAGE_ERRORS[error.error] ?? null, description: error.description, seconds };
  }

  identifierPage(
    request: FastifyRequest,
    reply: FastifyReply,
    open: OpenTransaction,
    input: {
      connection?: string;
      email?: string;
      country?: string;
      phone_number?: string;
      problem?: Problem;
      status?: number;
    },
  ) {
    const { transaction, app } = open;
    const language = this.language(request, open);
    const hint = transaction.params.login_hint ?? '';
    const hintPhone = /^\+?[0-9 ().-]{6,}$/.test(hint) ? parsePhoneNumberFromString(hint) : undefined;
    const current =
      open.connections.find((c) => c.name === input.connection) ??
      open.connections.find((c) => c.strategy === (hintPhone ? 'sms' : 'email')) ??
      open.connections[0];
    const t = messages(language, { app: app.name });
    const tabs = open.connections.map((c: Connection) => ({
      label: this.tabLabel(c, open.connections, t),
      href: `/u/login?tx=${encodeURIComponent(open.tx)}&connection=${encodeURIComponent(c.name)}`,
      current: c.name === current?.name,
    }));
    const country =
      input.country ??
      hintPhone?.country ??
      preferredRegion(transaction.params.ui_locales, request.headers['accept-language']) ??
      LANGUAGE_COUNTRY[language];
    return sendPage(
      reply,
      'login',
      {
        ...this.common(open, language, t),
        tabs: tabs.length > 1 ? tabs : [],
        connection: current ? { name: current.name, strategy: current.strategy } : null,
        email: input.email ?? (hint.includes('@') ? hint : ''),
        phone_number: input.phone_number ?? (hintPhone ? hintPhone.nationalNumber : ''),
        countries: countryOptions(language, country),
        error: this.errorText(language, input.problem),
      },
      { status: input.status ?? 200, imageSources: this.logoSources(open), keepOpener: this.inPopup(open) },
    );
  }

  sentPage(
    request: FastifyRequest,
    reply: FastifyReply,
    open: OpenTransaction,
    state: { resent?: boolean; problem?: Problem; status?: number },
  ) {
    const { transaction, app } = open;
    const language = this.language(request, open);
    if (transaction.identifier === null) return this.identifierPage(request, reply, open, {});
    const connection = open.connections.find((c) => c.name === transaction.connection);
    const t = messages(language, {
      app: app.name,
      identifier: transaction.identifier,
      length: connection?.options.totp.length ?? 6,
    });
    const page = transaction.send === 'link' ? 'login-link' : 'login-code';
    return sendPage(
      reply,
      page,
      {
        ...this.common(open, language, t),
        sms: connection?.strategy === 'sms',
        length: connection?.options.totp.length ?? 6,
        wait: resendWaitSeconds(this.ctx, transaction),
        notice: state.resent ? t.resent : null,
        error: this.errorText(language, state.problem),
        script: '/ui/login.js',
      },
      {
        status: state.status ?? 200,
        scripts: true,
        imageSources: this.logoSources(open),
        formTargets: [open.request.redirectUri],
        keepOpener: this.inPopup(open),
      },
    );
  }

  /**
   * "Checking your browser…": the page's script solves the proof-of-work challenge, then posts
   * `fields` to `action` again with the solution. Without JavaScript it says that it needs it.
   */
  checkPage(
    request: FastifyRequest,
    reply: FastifyReply,
    open: OpenTransaction,
    action: '/u/login' | '/u/login/resend',
    fields: Record<string, string | undefined>,
    pow: PowChallenge,
  ) {
    const language = this.language(request, open);
    const t = messages(language, { app: open.app.name });
    return sendPage(
      reply,
      'login-check',
      {
        ...this.common(open, language, t),
        action,
        fields: Object.entries(fields).filter(([name, value]) => value !== undefined && name !== 'pow'),
        challenge: pow.challenge,
        bits: pow.difficulty_bits,
        script: '/ui/pow.js',
      },
      { scripts: true, imageSources: this.logoSources(open), keepOpener: this.inPopup(open) },
    );
  }

  /** A web-message login shown in a popup answers its opener at the end: the page must keep it. */
  private inPopup(open: OpenTransaction): boolean {
    return open.request.responseMode === 'web_message';
  }

  private common(open: OpenTransaction, language: Language, t: Catalogue) {
    return {
      lang: language,
      t,
      tx: open.tx,
      logo: open.app.logo_uri ?? null,
      brand_css: open.app.primary_color
        ? `/ui/brand.css?client_id=${encodeURIComponent(open.app.client_id)}`
        : null,
    };
  }

  private logoSources(open: OpenTransaction): string[] {
    return open.app.logo_uri ? [open.app.logo_uri] : [];
  }

  private tabLabel(connection: Connection, all: Connection[], t: Catalogue): string {
    const sameStrategy = all.filter((c) => c.strategy === connection.strategy).length > 1;
    const label = connection.strategy === 'email' ? t.tab_email : t.tab_sms;
    return sameStrategy ? `${label} (${connection.name})` : label;
  }

  private errorText(language: Language, problem: Problem | undefined): string | null {
    if (!problem) return null;
    if (problem.key === null) return problem.description;
    return messages(language, { seconds: problem.seconds ?? 0 })[problem.key];
  }
}
