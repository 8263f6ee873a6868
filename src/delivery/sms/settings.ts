/**
 * Reads one SMS provider's settings out of a connection's options, collecting a problem per bad key
 * instead of stopping at the first, so an operator fixes a configuration in one pass. Problems name
 * the key and never repeat its value (it may be a credential).
 */
export class SettingsReader {
  constructor(
    private readonly options: Record<string, unknown>,
    /** Prefix for keys read from a nested object, e.g. `gateway_authentication.`. */
    private readonly prefix = '',
    /** Shared with the readers of nested objects, so every problem ends up in one list. */
    readonly problems: string[] = [],
  ) {}

  /** A non-empty string; `null` and `undefined` count as missing, as Auth0 stores unset keys as null. */
  requiredString(key: string): string {
    const value = this.read(key);
    if (value === undefined) this.problems.push(`${this.name(key)} is required`);
    return value || '';
  }

  optionalString(key: string): string | undefined {
    return this.read(key) || undefined;
  }

  /** A string matching `pattern`, described by `shape` in the problem when it does not. */
  matching(key: string, pattern: RegExp, shape: string, required: boolean): string | undefined {
    const value = required ? this.requiredString(key) : this.optionalString(key);
    if (!value) return undefined;
    if (!pattern.test(value)) {
      this.problems.push(`${this.name(key)} must be ${shape}`);
      return undefined;
    }
    return value;
  }

  /** A boolean; Auth0's own examples write `"true"`, so the strings `"true"` / `"false"` count too. */
  boolean(key: string): boolean {
    const value = this.options[key];
    if (value === undefined || value === null || value === false || value === 'false') return false;
    if (value === true || value === 'true') return true;
    this.problems.push(`${this.name(key)} must be true or false`);
    return false;
  }

  /** An absolute http(s) URL, normalised (`https://host` becomes `https://host/`). */
  url(key: string, fallback?: string): string {
    const value = fallback === undefined ? this.requiredString(key) : (this.optionalString(key) ?? fallback);
    if (!value) return '';
    let parsed: URL;
    try {
      parsed = new URL(value);
    } catch {
      this.problems.push(`${this.name(key)} must be an absolute http or https URL`);
      return '';
    }
    if (parsed.protocol !== 'https:' && parsed.protocol !== 'http:') {
      this.problems.push(`${this.name(key)} must be an absolute http or https URL`);
      return '';
    }
    return parsed.href;
  }

  /** A reader for a nested object (e.g. `gateway_authentication`), or undefined when unset. */
  object(key: string): SettingsReader | undefined {
    const value = this.options[key];
    if (value === undefined || value === null) return undefined;
    if (typeof value !== 'object' || Array.isArray(value)) {
      this.problems.push(`${this.name(key)} must be an object`);
      return undefined;
    }
    return new SettingsReader(value as Record<string, unknown>, `${this.name(key)}.`, this.problems);
  }

  /**
   * The string as written (a secret is never trimmed), `undefined` when unset or blank, `null` when
   * not a string (already reported).
   */
  private read(key: string): string | undefined | null {
    const value = this.options[key];
    if (value === undefined || value === null) return undefined;
    if (typeof value !== 'string') {
      this.problems.push(`${this.name(key)} must be a string`);
      return null;
    }
    return value.trim() === '' ? undefined : value;
  }

  private name(key: string): string {
    return `${this.prefix}${key}`;
  }
}
