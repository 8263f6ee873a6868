/**
 * Reads one provider's settings block (`options.smtp`, `options.sendgrid`...) out of a connection's
 * options, collecting every problem at once so the operator sees them all at start, each naming
 * the key to fix (e.g. `smtp.host is required`).
 */
export class SettingsBlock {
  readonly problems: string[] = [];
  private readonly values: Record<string, unknown>;

  constructor(
    options: Record<string, unknown>,
    private readonly block: string,
  ) {
    const raw = options[block];
    if (raw === undefined || raw === null) {
      this.values = {};
    } else if (typeof raw === 'object' && !Array.isArray(raw)) {
      this.values = raw as Record<string, unknown>;
    } else {
      this.values = {};
      this.problems.push(`${block} must be an object`);
    }
  }

  /** A non-empty string; `undefined` when absent and not required. */
  string(key: string, required = false): string | undefined {
    const value = this.values[key];
    if (value === undefined || value === null || value === '') {
      if (required) this.problems.push(`${this.block}.${key} is required`);
      return undefined;
    }
    if (typeof value !== 'string') {
      this.problems.push(`${this.block}.${key} must be a string`);
      return undefined;
    }
    return value;
  }

  boolean(key: string, fallback: boolean): boolean {
    return this.optionalBoolean(key) ?? fallback;
  }

  /** A boolean, or `undefined` when absent (or invalid, which is recorded as a problem). */
  optionalBoolean(key: string): boolean | undefined {
    const value = this.values[key];
    if (value === undefined || value === null) return undefined;
    if (typeof value !== 'boolean') {
      this.problems.push(`${this.block}.${key} must be true or false`);
      return undefined;
    }
    return value;
  }

  port(key: string, fallback: number): number {
    const value = this.values[key];
    if (value === undefined || value === null) return fallback;
    if (typeof value !== 'number' || !Number.isInteger(value) || value < 1 || value > 65_535) {
      this.problems.push(`${this.block}.${key} must be a port number (1-65535)`);
      return fallback;
    }
    return value;
  }

  /** An http(s) URL without a trailing slash, for an API's base address. */
  baseUrl(key: string, fallback: string): string {
    const value = this.string(key) ?? fallback;
    let url: URL;
    try {
      url = new URL(value);
    } catch {
      this.problems.push(`${this.block}.${key} must be an http(s) URL`);
      return fallback;
    }
    if (url.protocol !== 'https:' && url.protocol !== 'http:') {
      this.problems.push(`${this.block}.${key} must be an http(s) URL`);
      return fallback;
    }
    return value.replace(/\/+$/, '');
  }
}

/** The connection-wide sender (`options.email.from`), used when a message carries none. */
export function defaultSender(options: Record<string, unknown>, problems: string[]): string | null {
  const email = options.email;
  if (!email || typeof email !== 'object') return null;
  const from = (email as Record<string, unknown>).from;
  if (from === undefined || from === null || from === '') return null;
  if (typeof from !== 'string') {
    problems.push('email.from must be a string');
    return null;
  }
  return from;
}
