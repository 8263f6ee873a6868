import type { Context } from './context.ts';
import { AuthError } from './errors.ts';

/**
 * Who may change an application or connection: the config file, for those it declares (unless
 * `management_api.config_objects` is `seed`), or the Management API. The file's objects are written
 * again at every start, so a change the API made to them would silently vanish at the next one:
 * the API refuses it instead, naming where the object is declared.
 */
export function assertApiOwnsApplication(ctx: Context, clientId: string): void {
  if (ctx.config.management_api.config_objects === 'seed') return;
  const at = ctx.config.applications.findIndex((a) => a.client_id === clientId);
  if (at >= 0) throw ownedByFile(`applications[${at}] (client_id "${clientId}")`);
}

export function assertApiOwnsConnection(ctx: Context, name: string): void {
  if (ctx.config.management_api.config_objects === 'seed') return;
  const at = ctx.config.connections.findIndex((c) => c.name === name);
  if (at >= 0) throw ownedByFile(`connections[${at}] (name "${name}")`);
}

function ownedByFile(where: string): AuthError {
  return new AuthError(
    409,
    'config_owned',
    `The config file owns this object: it is declared at ${where}. Change it there and restart, ` +
      'or set management_api.config_objects: seed to let the Management API own it.',
  );
}
