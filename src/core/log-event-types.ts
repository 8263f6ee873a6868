/**
 * Auth0's log event type codes that Tessera writes, each with Auth0's name for it (the default
 * `description` of an event). Auth0's list: "Log Event Type Codes" in its documentation.
 */
export const LOG_EVENT_TYPES = {
  s: 'Success Login',
  f: 'Failed Login',
  ss: 'Success Signup',
  fs: 'Failed Signup',
  cs: 'Code Sent',
  cls: 'Code/Link Sent',
  fn: 'Failed Sending Notification',
  seacft: 'Success Exchange',
  feacft: 'Failed Exchange',
  sertft: 'Success Exchange',
  fertft: 'Failed Exchange',
  seccft: 'Success Exchange',
  feccft: 'Failed Exchange',
  srrt: 'Successfully revoked a refresh token',
  slo: 'Success Logout',
  limit_wc: 'Blocked Account',
  limit_mu: 'Blocked IP Address',
  api_limit: 'Rate Limit on the Authentication or Management APIs',
  sapi: 'Success API Operation',
  fapi: 'Failed API Operation',
} as const;

export type LogEventType = keyof typeof LOG_EVENT_TYPES;

/** What each exchange's pair of codes says, as Auth0 describes them. */
export const EXCHANGE_DESCRIPTIONS = {
  authorization_code: 'Authorization Code for Access Token',
  refresh_token: 'Refresh Token for Access Token',
  client_credentials: 'Client Credentials for Access Token',
} as const;
