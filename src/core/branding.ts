import type { Context } from './context.ts';

/**
 * The brand colour an application's hosted pages wear (public, like its name and logo); none
 * for an unknown client_id or an application without one.
 */
export async function brandColour(ctx: Context, clientId: string | undefined): Promise<string | undefined> {
  if (!clientId) return undefined;
  return (await ctx.store.getApplication(clientId))?.primary_color ?? undefined;
}
