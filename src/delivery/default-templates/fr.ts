import type { Phrases } from './phrases.ts';

const minutes = '{{ ttl_minutes }} {% if ttl_minutes == 1 %}minute{% else %}minutes{% endif %}';

export const fr: Phrases = {
  sms: `{{ code }} est votre code de vérification pour {{ application.name }}. Il expire dans ${minutes}. Si vous ne l'avez pas demandé, ignorez ce message.`,
  codeEmail: {
    subject: 'Votre code de vérification pour {{ application.name }}',
    intro: 'Votre code de vérification pour {{ application.name }} est&nbsp;:',
    expiry: `Il expire dans ${minutes}. Si vous ne l'avez pas demandé, ignorez cet e-mail.`,
  },
  linkEmail: {
    subject: 'Connexion à {{ application.name }}',
    intro: 'Cliquez sur le bouton ci-dessous pour vous connecter à {{ application.name }}.',
    button: 'Se connecter à {{ application.name }}',
    expiry: `Le lien expire dans ${minutes} et ne fonctionne qu'une seule fois. Si vous ne l'avez pas demandé, ignorez cet e-mail.`,
  },
};
