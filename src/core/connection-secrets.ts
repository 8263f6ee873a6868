import type { Connection } from './model.ts';
import type { ConnectionCodec } from './ports/store.ts';
import { openPaths, type SecretBox, sealPaths } from './secret-box.ts';

/**
 * Stores connections with their provider credentials sealed (`secretPaths`, e.g. `twilio_token`,
 * `smtp.pass`), and opens them on the way out. Opened connections are cached by their stored text,
 * so a login does not pay for decryption.
 */
export function sealedConnections(box: SecretBox, secretPaths: readonly string[]): ConnectionCodec {
  const opened = new Map<string, Connection>();
  return {
    async encode(connection) {
      const options = await sealPaths(box, connection.options as Record<string, unknown>, secretPaths);
      return JSON.stringify({ ...connection, options });
    },
    async decode(data) {
      // Connections are read-only to their users, so the cached object is shared, not copied.
      const cached = opened.get(data);
      if (cached) return cached;
      const stored = JSON.parse(data) as Connection;
      const options = await openPaths(box, stored.options as Record<string, unknown>, secretPaths);
      const connection = { ...stored, options } as Connection;
      if (opened.size > 1000) opened.clear();
      opened.set(data, connection);
      return connection;
    },
  };
}
