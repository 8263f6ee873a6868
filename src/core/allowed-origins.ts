import { allowedOrigins } from './applications.ts';
import type { Context } from './context.ts';

const CACHE_MS = 5000;

/**
 * Every origin some application allows (`allowed_origins` and `web_origins`), for CORS. A browser's
 * preflight carries no client_id, so the answer is the union; it is cached for a few seconds.
 */
export class AllowedOrigins {
  private cached: { at: number; origins: Set<string> } | undefined;

  constructor(private readonly ctx: Context) {}

  async has(origin: string): Promise<boolean> {
    const now = this.ctx.clock.now();
    if (!this.cached || now - this.cached.at >= CACHE_MS) {
      try {
        const apps = await this.ctx.store.listApplications();
        this.cached = { at: now, origins: new Set(apps.flatMap(allowedOrigins)) };
      } catch (error) {
        // The database is away: the origins read last still answer (the JWKS and discovery,
        // which need no database, keep their CORS headers), and the next request reads again.
        if (!this.cached) throw error;
      }
    }
    return this.cached.origins.has(origin);
  }
}
