// Auth0's Node SDK (auth0 v7) on your server, against Tessera: AuthenticationClient is in 'auth0/legacy'.
// The SDK sends nothing without the application's secret, so the application is a confidential one
// (a client_secret in Tessera's config), and it calls https://<domain> only: serve Tessera over HTTPS.
import { AuthenticationClient } from 'auth0/legacy';

const auth = new AuthenticationClient({
  domain: process.env.TESSERA_DOMAIN, // login.example.com (with TESSERA_ISSUER=https://login.example.com/)
  clientId: process.env.TESSERA_CLIENT_ID, // my-web-app
  clientSecret: process.env.TESSERA_CLIENT_SECRET,
});

/** Emails a code to `email`. */
export async function sendCode(email) {
  await auth.passwordless.sendEmail({ email, send: 'code' });
}

/** Exchanges the code the user typed for tokens (the SDK checks the id_token against Tessera's JWKS). */
export async function logIn(email, code) {
  const { data } = await auth.passwordless.loginWithEmail({ email, code, scope: 'openid email' });
  return data; // { access_token, id_token, scope, expires_in, token_type: 'Bearer' }
}
