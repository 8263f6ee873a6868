import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ConfigError, loadConfig, validateConfig } from '../../src/config/load.ts';
import { PASSWORDLESS_OTP_GRANT } from '../../src/config/schema.ts';

/** The ConfigError `fn` throws (failing the test if it throws nothing or something else). */
function configError(fn: () => unknown): ConfigError {
  try {
    fn();
  } catch (error) {
    expect(error).toBeInstanceOf(ConfigError);
    return error as ConfigError;
  }
  throw new Error('expected a ConfigError');
}

const app = { client_id: 'acme-client', name: 'Acme' };

describe('validateConfig', () => {
  it('fills every default from an empty object', () => {
    const config = validateConfig({});
    expect(config).toEqual({
      issuer: 'http://localhost:3000/',
      port: 3000,
      host: '0.0.0.0',
      data_dir: './data',
      database_pool_size: 10,
      database_connect_timeout_ms: 5000,
      database_statement_timeout_ms: 10_000,
      database_max_waiting: 500,
      database_start_wait_s: 300,
      redis_prefix: 'tessera:',
      redis_timeout_ms: 100,
      environment: 'development',
      log_level: 'info',
      trust_proxy: false,
      log_retention_days: 30,
      body_limit: 65_536,
      delivery: {
        send_timeout_ms: 10_000,
        max_wait_ms: 8_000,
        primary_attempts: 2,
        retry_base_ms: 1_000,
        poll_ms: 1_000,
      },
      session: { lifetime: 2_592_000, idle: 259_200 },
      rate_limits: {
        start_per_ip_per_hour: 50,
        authorize_per_ip_per_minute: 120,
        start_per_application_per_hour: 100_000,
        verify_failures_per_ip: 100,
        verify_failures_window_s: 900,
      },
      keys: { propagation_s: 3600, retire_margin_s: 3600, reload_s: 30 },
      proof_of_work: { enabled: false, after_starts_per_ip: 10, difficulty_bits: 18, ttl_s: 120 },
      readiness_requires_counters: true,
      metrics: { enabled: true },
      shutdown: { drain_ms: 0, timeout_ms: 10_000 },
      management_api: { config_objects: 'file' },
      applications: [],
      connections: [],
      apis: [],
    });
  });

  it('fills application and connection defaults', () => {
    const config = validateConfig({
      applications: [app],
      connections: [{ name: 'email', strategy: 'email' }],
    });
    expect(config.applications[0]).toEqual({
      ...app,
      app_type: 'spa',
      callbacks: [],
      allowed_origins: [],
      web_origins: [],
      allowed_logout_urls: [],
      grant_types: [PASSWORDLESS_OTP_GRANT],
      management_scopes: [],
      id_token_lifetime: 36_000,
      access_token_lifetime: 86_400,
      refresh_token_lifetime: 2_592_000,
      refresh_token_leeway: 5,
      id_token_signing_alg: 'RS256',
    });
    expect(config.connections[0]).toEqual({
      name: 'email',
      strategy: 'email',
      enabled_clients: ['*'],
      options: {
        totp: { length: 6, time_step: 300 },
        max_attempts: 3,
        disable_signup: false,
        brute_force_protection: true,
        brute_force: { failures: 10, lock_s: 60, max_lock_s: 3600, window_s: 86_400 },
        provider: 'dev_inbox',
        cross_device_links: true,
        default_language: 'en',
        start_limits: { per_identifier: { points: 5, duration_s: 900 }, resend_cooldown_s: 0 },
      },
    });
  });

  it('keeps given values over defaults, including nested ones', () => {
    const config = validateConfig({
      port: 8080,
      connections: [{ name: 'sms', strategy: 'sms', options: { totp: { length: 8 }, max_attempts: 5 } }],
    });
    expect(config.port).toBe(8080);
    expect(config.issuer).toBe('http://localhost:8080/');
    expect(config.connections[0]?.options.totp).toEqual({ length: 8, time_step: 300 });
    expect(config.connections[0]?.options.max_attempts).toBe(5);
  });

  it('does not change the object it was given', () => {
    const raw = { applications: [{ ...app }] };
    validateConfig(raw);
    expect(raw).toEqual({ applications: [app] });
  });

  it.each([
    ['https://login.example.com', 'https://login.example.com/'],
    ['https://login.example.com/', 'https://login.example.com/'],
    ['https://example.com/auth', 'https://example.com/auth/'],
  ])('gives the issuer %s a trailing slash', (issuer, expected) => {
    expect(validateConfig({ issuer }).issuer).toBe(expected);
  });

  it.each([
    [
      'a callbacks value that is not a list',
      { applications: [{ ...app, callbacks: 'https://a.example/cb' }] },
      'applications.0.callbacks',
    ],
    [
      'a callback that is not a URL',
      { applications: [{ ...app, callbacks: ['/relative'] }] },
      'applications.0.callbacks.0',
    ],
    ['a short client_id', { applications: [{ ...app, client_id: 'short' }] }, 'applications.0.client_id'],
    ['a missing application name', { applications: [{ client_id: 'acme-client' }] }, 'applications.0'],
    ['a port out of range', { port: 70_000 }, 'port'],
    ['a port that is text', { port: 'eighty' }, 'port'],
    ['an issuer without a scheme', { issuer: 'login.example.com' }, 'issuer'],
    [
      'a code length past 10',
      { connections: [{ name: 'sms', strategy: 'sms', options: { totp: { length: 12 } } }] },
      'connections.0.options.totp.length',
    ],
    ['an unknown strategy', { connections: [{ name: 'x', strategy: 'pigeon' }] }, 'connections.0.strategy'],
    [
      'a bad connection name',
      { connections: [{ name: 'has space', strategy: 'email' }] },
      'connections.0.name',
    ],
    [
      'a rate limit of zero',
      { rate_limits: { start_per_ip_per_hour: 0 } },
      'rate_limits.start_per_ip_per_hour',
    ],
  ])('names the key of %s', (_, raw, key) => {
    const error = configError(() => validateConfig(raw, 'tessera.yaml'));
    expect(error.message).toMatch(/^tessera\.yaml is invalid:/);
    expect(error.message).toContain(`  - ${key}`);
  });

  it('names unknown keys, at the top and nested', () => {
    const error = configError(() =>
      validateConfig({ colour: 'blue', applications: [{ ...app, secret: 'x', tint: 'y' }] }),
    );
    expect(error.message).toContain('(top level): unknown key "colour"');
    expect(error.message).toContain('applications.0: unknown keys "secret", "tint"');
  });

  it('lists every problem at once', () => {
    const error = configError(() => validateConfig({ port: -1, host: 42 }));
    expect(error.message).toContain('port');
    expect(error.message).toContain('host');
  });

  it('refuses duplicate client_ids and connection names', () => {
    const error = configError(() =>
      validateConfig({
        applications: [app, { ...app, name: 'Again' }],
        connections: [
          { name: 'email', strategy: 'email' },
          { name: 'email', strategy: 'sms' },
        ],
      }),
    );
    expect(error.message).toContain('applications.1.client_id: duplicate "acme-client"');
    expect(error.message).toContain('connections.1.name: duplicate "email"');
  });

  it.each([[null], [[]], ['port: 3000'], [42]])('refuses %j at the top level', (raw) => {
    expect(configError(() => validateConfig(raw)).message).toContain('top level');
  });
});

describe('loadConfig', () => {
  let dir: string;
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'tessera-config-'));
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  const write = (name: string, text: string) => {
    const path = join(dir, name);
    writeFileSync(path, text);
    return path;
  };

  it('reads a YAML file', () => {
    const file = write(
      'tessera.yaml',
      [
        'issuer: https://login.example.com',
        'port: 4000',
        'applications:',
        '  - client_id: acme-client',
        '    name: Acme',
        '    callbacks: [https://acme.example/cb]',
        'connections:',
        '  - name: email',
        '    strategy: email',
        '    options: { max_attempts: 5 }',
      ].join('\n'),
    );
    const config = loadConfig({ file, env: {} });
    expect(config.issuer).toBe('https://login.example.com/');
    expect(config.port).toBe(4000);
    expect(config.applications[0]).toMatchObject({
      client_id: 'acme-client',
      callbacks: ['https://acme.example/cb'],
    });
    expect(config.connections[0]?.options.max_attempts).toBe(5);
  });

  it('reads a JSON file', () => {
    const file = write('tessera.json', JSON.stringify({ port: 4001, applications: [app] }));
    const config = loadConfig({ file, env: {} });
    expect(config.port).toBe(4001);
    expect(config.issuer).toBe('http://localhost:4001/');
    expect(config.applications[0]?.name).toBe('Acme');
  });

  it('finds the file through TESSERA_CONFIG', () => {
    const file = write('from-env.yaml', 'port: 4002\n');
    expect(loadConfig({ env: { TESSERA_CONFIG: file } }).port).toBe(4002);
  });

  it('lets PORT and TESSERA_ISSUER override the file', () => {
    const file = write('override.yaml', 'port: 4003\nissuer: https://file.example.com/\n');
    const config = loadConfig({ file, env: { PORT: '5000', TESSERA_ISSUER: 'https://env.example.com' } });
    expect(config.port).toBe(5000);
    expect(config.issuer).toBe('https://env.example.com/');
  });

  it('derives the default issuer from the PORT variable', () => {
    expect(loadConfig({ env: { PORT: '5001' } }).issuer).toBe('http://localhost:5001/');
  });

  it('reads the other environment variables', () => {
    const config = loadConfig({
      env: {
        HOST: '127.0.0.1',
        TESSERA_DATA_DIR: '/var/lib/tessera',
        LOG_LEVEL: 'warn',
        NODE_ENV: 'production',
        TESSERA_DEV_INBOX: 'true',
      },
    });
    expect(config).toMatchObject({
      host: '127.0.0.1',
      data_dir: '/var/lib/tessera',
      log_level: 'warn',
      environment: 'production',
      dev_inbox: true,
    });
  });

  it('lets overrides win over the file and the environment', () => {
    const file = write('overrides.yaml', 'port: 4004\n');
    expect(loadConfig({ file, env: { PORT: '5002' }, overrides: { port: 0 } }).port).toBe(0);
  });

  it('names the key and the file of a bad value', () => {
    const file = write(
      'bad.yaml',
      'applications:\n  - client_id: acme-client\n    name: Acme\n    callbacks: nope\n',
    );
    const message = configError(() => loadConfig({ file, env: {} })).message;
    expect(message).toContain(file);
    expect(message).toContain('applications.0.callbacks');
  });

  it('names an environment variable that makes a bad value', () => {
    expect(configError(() => loadConfig({ env: { PORT: 'eighty' } })).message).toContain('port');
  });

  it('reports a missing file, broken YAML, broken JSON and a non-mapping', () => {
    const missing = join(dir, 'missing.yaml');
    expect(configError(() => loadConfig({ file: missing, env: {} })).message).toContain(
      `cannot read config file ${missing}`,
    );
    const yaml = write('broken.yaml', 'port: [1, 2\n');
    expect(configError(() => loadConfig({ file: yaml, env: {} })).message).toContain('is not valid YAML');
    const json = write('broken.json', '{"port": 1,}');
    expect(configError(() => loadConfig({ file: json, env: {} })).message).toContain('is not valid JSON');
    const list = write('list.yaml', '- port: 1\n');
    expect(configError(() => loadConfig({ file: list, env: {} })).message).toContain('expected a mapping');
  });
});

describe('environment variables inside the config file', () => {
  it('replaces a $-brace placeholder with the variable, and names the key when it is unset', () => {
    const dir = mkdtempSync(join(tmpdir(), 'tessera-env-'));
    try {
      const file = join(dir, 'tessera.yaml');
      const placeholder = (name: string) => `$${'{'}${name}}`;
      writeFileSync(
        file,
        `connections:\n  - name: sms\n    strategy: sms\n    options:\n      twilio_token: "${placeholder('TWILIO_TOKEN')}"\n      from: "+1${placeholder('AREA')}5550100"\n`,
      );
      const config = loadConfig({ file, env: { TWILIO_TOKEN: 'from-the-env', AREA: '415' } });
      const options = config.connections[0]?.options as Record<string, unknown>;
      expect(options.twilio_token).toBe('from-the-env');
      expect(options.from).toBe('+14155550100');
      expect(() => loadConfig({ file, env: { AREA: '415' } })).toThrow(
        /connections\.0\.options\.twilio_token: environment variable TWILIO_TOKEN is not set/,
      );
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('trust_proxy', () => {
  it('reads every form of TESSERA_TRUST_PROXY', () => {
    const read = (value: string) => loadConfig({ env: { TESSERA_TRUST_PROXY: value } }).trust_proxy;
    expect(read('true')).toBe(true);
    expect(read('false')).toBe(false);
    expect(read('1')).toBe(1);
    expect(read('10.0.0.0/8, 192.168.1.7,fd00::/8')).toEqual(['10.0.0.0/8', '192.168.1.7', 'fd00::/8']);
    expect(read('loopback,uniquelocal')).toEqual(['loopback', 'uniquelocal']);
  });

  it('takes a list of addresses, ranges and named ranges from the file', () => {
    const list = ['127.0.0.1', '10.0.0.0/8', '::1', '2001:db8::/32', 'loopback', 'linklocal', 'uniquelocal'];
    expect(validateConfig({ trust_proxy: list }).trust_proxy).toEqual(list);
  });

  it('names each entry that is not an address or range, in the file and in the environment', () => {
    const fromFile = configError(() =>
      validateConfig({ trust_proxy: ['10.0.0.1', '10.0.0.300', '10.0.0.0/33', 'my-proxy'] }),
    ).message;
    expect(fromFile).toContain('trust_proxy.1: "10.0.0.300" is not an IP address or CIDR range');
    expect(fromFile).toContain('trust_proxy.2: "10.0.0.0/33" is not an IP address or CIDR range');
    expect(fromFile).toContain('trust_proxy.3: "my-proxy" is not an IP address or CIDR range');
    expect(fromFile).toContain('loopback, linklocal, uniquelocal');
    expect(fromFile).not.toContain('trust_proxy.0');

    const fromEnv = configError(() => loadConfig({ env: { TESSERA_TRUST_PROXY: 'yes' } })).message;
    expect(fromEnv).toContain('trust_proxy.0: "yes" is not an IP address or CIDR range');
  });

  it('refuses an empty list and a negative count', () => {
    expect(configError(() => validateConfig({ trust_proxy: [] })).message).toContain('trust_proxy');
    expect(configError(() => validateConfig({ trust_proxy: -1 })).message).toContain('trust_proxy');
  });
});

describe('examples/tessera.yaml', () => {
  it('is a valid configuration', () => {
    const config = loadConfig({ file: 'examples/tessera.yaml', env: {} });
    expect(config.applications.map((a) => a.client_id)).toContain('example-backend');
    expect(config.trust_proxy).toBe(false);
  });
});
