/**
 * An error answer's code and sentence, in either vocabulary: `{ error, error_description }`
 * (the Authentication API, OAuth) or the Management API's `{ statusCode, error, message,
 * errorCode }` (`error` there is the status's name).
 */
export function errorOf(body: unknown): { code: unknown; description: unknown } {
  const b = (body ?? {}) as Record<string, unknown>;
  return 'errorCode' in b
    ? { code: b.errorCode, description: b.message }
    : { code: b.error, description: b.error_description };
}

/** Whether an answer's path is the Management API's (`/api/...`). */
export const isManagementPath = (path: string) => path.startsWith('/api/');
