import { AuthError } from './errors.ts';

/**
 * How much `app_metadata` and `user_metadata` may hold, each: levels of objects and arrays (the
 * metadata object itself is the first) and bytes of its JSON. Every read of a user carries both,
 * into tokens' rules and the Management API's answers, so neither may grow without bound.
 */
export const METADATA_LIMITS = { depth: 10, bytes: 16_384 } as const;

export type MetadataField = 'app_metadata' | 'user_metadata';

/** Refuses metadata past METADATA_LIMITS with a 400 `invalid_body` naming the field. */
export function checkMetadata(field: MetadataField, value: Record<string, unknown> | undefined): void {
  if (value === undefined) return;
  const { depth, bytes } = METADATA_LIMITS;
  // Depth first: JSON.stringify recurses, and runs out of stack on something nested thousands deep.
  if (nestedPast(value, depth)) {
    throw new AuthError(
      400,
      'invalid_body',
      `${field} is nested too deeply: at most ${depth} levels of objects and arrays`,
    );
  }
  if (Buffer.byteLength(JSON.stringify(value)) > bytes) {
    throw new AuthError(400, 'invalid_body', `${field} is too large: at most ${bytes} bytes as JSON`);
  }
}

/** Whether objects and arrays nest more than `limit` levels; walked without recursion. */
function nestedPast(value: unknown, limit: number): boolean {
  const pending: [unknown, number][] = [[value, 1]];
  for (let next = pending.pop(); next !== undefined; next = pending.pop()) {
    const [item, depth] = next;
    if (typeof item !== 'object' || item === null) continue;
    if (depth > limit) return true;
    for (const child of Object.values(item)) pending.push([child, depth + 1]);
  }
  return false;
}
