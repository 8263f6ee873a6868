import { Type } from 'typebox';

/**
 * The body of a Management API write: a JSON object whose members core checks with the config
 * file's own schema (one schema for the file and the API). Here only its outline: top-level names
 * are lower-case identifiers (so no hostile name reaches an error message), and there are few.
 */
export const ManagementBody = Type.Unsafe<Record<string, unknown>>(
  Type.Object(
    {},
    {
      additionalProperties: true,
      maxProperties: 64,
      propertyNames: { pattern: '^[a-z][a-z0-9_]{0,63}$' },
      description: 'As the config file declares it (docs/configuration.md)',
    },
  ),
);
