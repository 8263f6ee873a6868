import { describe, expect, it } from 'vitest';
import { databaseFaultsLogged } from '../../src/server.ts';
import { StoreUnavailableError } from '../../src/store/unavailable.ts';

// The process-wide guard `tessera start` installs for unhandled rejections.
describe('an unhandled rejection', () => {
  const logged: string[] = [];
  const log = { error: (_details: object, message: string) => void logged.push(message) };
  const handle = databaseFaultsLogged(log);

  it('of a database fault is logged, and the process goes on', () => {
    const refused = Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:5432'), { code: 'ECONNREFUSED' });
    expect(() => handle(refused)).not.toThrow();
    expect(() => handle(new StoreUnavailableError('the database is unavailable'))).not.toThrow();
    expect(logged).toEqual([
      'a database fault was left unhandled (a bug: please report it); the process goes on',
      'a database fault was left unhandled (a bug: please report it); the process goes on',
    ]);
  });

  it('of anything else still ends the process, as Node does', () => {
    const bug = new TypeError('cannot read properties of undefined');
    expect(() => handle(bug)).toThrow(bug);
    expect(() => handle('a string')).toThrow();
  });
});
