// Auth0's ManagementClient, unchanged, granting a user a role: run by run-example.mjs in a process
// that trusts the test's certificate. The SDK gets its own token with the client_credentials grant.
import { ManagementClient } from 'auth0';

const client = () =>
  new ManagementClient({
    domain: process.env.TESSERA_DOMAIN,
    clientId: process.env.TESSERA_CLIENT_ID,
    clientSecret: process.env.TESSERA_CLIENT_SECRET,
  });

/** Creates a role, gives it a permission of `api`, assigns it to the user; returns what the SDK reads back. */
export async function grantRole(userId, api, permission) {
  const management = client();
  const role = await management.roles.create({ name: 'sdk order readers', description: 'Made by the SDK' });
  await management.roles.permissions.add(role.id, {
    permissions: [{ resource_server_identifier: api, permission_name: permission }],
  });
  await management.roles.users.assign(role.id, { users: [userId] });
  const members = await management.roles.users.list(role.id);
  const userRoles = await management.users.roles.list(userId);
  const permissions = await management.users.permissions.list(userId);
  const server = await management.resourceServers.get(api);
  return {
    role,
    members: members.data,
    userRoles: userRoles.data,
    permissions: permissions.data,
    server: { identifier: server.identifier, enforce_policies: server.enforce_policies },
  };
}

/** What the SDK throws for a role that does not exist. */
export async function missingRole() {
  try {
    await client().roles.get('rol_0000000000000000');
    return null;
  } catch (error) {
    return { name: error.constructor.name, statusCode: error.statusCode };
  }
}
