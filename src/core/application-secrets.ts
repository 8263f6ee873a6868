import type { Application } from './model.ts';
import type { ApplicationCodec } from './ports/store.ts';
import { openPaths, type SecretBox, sealPaths } from './secret-box.ts';

/**
 * Stores applications with their `client_secret` sealed under the master key, and opens it on the
 * way out. It is sealed rather than hashed because the server must read it back: an application
 * with `id_token_signing_alg: HS256` has its id_tokens signed with it. Opened applications are
 * cached by their stored text, so authenticating a client does not pay for decryption.
 */
export function sealedApplications(box: SecretBox): ApplicationCodec {
  const opened = new Map<string, Application>();
  return {
    async encode(app) {
      return JSON.stringify(await sealPaths(box, app as unknown as Record<string, unknown>, SECRET));
    },
    async decode(data) {
      const cached = opened.get(data);
      if (cached) return cached;
      const stored = JSON.parse(data) as Record<string, unknown>;
      const app = (await openPaths(box, stored, SECRET)) as unknown as Application;
      if (opened.size > 1000) opened.clear();
      opened.set(data, app);
      return app;
    },
  };
}

const SECRET = ['client_secret'] as const;
