import type { Phrases } from './phrases.ts';

const minutes = '{{ ttl_minutes }} {% if ttl_minutes == 1 %}Minute{% else %}Minuten{% endif %}';

export const de: Phrases = {
  sms: `{{ code }} ist Ihr Bestätigungscode für {{ application.name }}. Er ist ${minutes} gültig. Nicht angefordert? Dann ignorieren Sie diese SMS.`,
  codeEmail: {
    subject: 'Ihr Bestätigungscode für {{ application.name }}',
    intro: 'Ihr Bestätigungscode für {{ application.name }} lautet:',
    expiry: `Er ist ${minutes} gültig. Falls Sie ihn nicht angefordert haben, ignorieren Sie diese E-Mail.`,
  },
  linkEmail: {
    subject: 'Bei {{ application.name }} anmelden',
    intro: 'Klicken Sie auf die Schaltfläche unten, um sich bei {{ application.name }} anzumelden.',
    button: 'Bei {{ application.name }} anmelden',
    expiry: `Der Link ist ${minutes} gültig und funktioniert nur einmal. Falls Sie ihn nicht angefordert haben, ignorieren Sie diese E-Mail.`,
  },
};
