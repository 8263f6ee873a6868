import type { Phrases } from './phrases.ts';

const minutes = '{{ ttl_minutes }} {% if ttl_minutes == 1 %}minute{% else %}minutes{% endif %}';

export const en: Phrases = {
  sms: `{{ code }} is your {{ application.name }} verification code. It expires in ${minutes}. If you did not ask for it, ignore this message.`,
  codeEmail: {
    subject: 'Your {{ application.name }} verification code',
    intro: 'Your verification code for {{ application.name }} is:',
    expiry: `It expires in ${minutes}. If you did not ask for it, ignore this email.`,
  },
  linkEmail: {
    subject: 'Sign in to {{ application.name }}',
    intro: 'Click the button below to sign in to {{ application.name }}.',
    button: 'Sign in to {{ application.name }}',
    expiry: `The link expires in ${minutes} and works only once. If you did not ask for it, ignore this email.`,
  },
};
