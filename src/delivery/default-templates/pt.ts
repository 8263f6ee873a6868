import type { Phrases } from './phrases.ts';

const minutes = '{{ ttl_minutes }} {% if ttl_minutes == 1 %}minuto{% else %}minutos{% endif %}';

// Worded to read naturally in both Brazilian and European Portuguese.
export const pt: Phrases = {
  sms: `{{ code }} é o seu código de verificação para {{ application.name }}. Expira em ${minutes}. Se não pediu este código, ignore esta mensagem.`,
  codeEmail: {
    subject: 'O seu código de verificação para {{ application.name }}',
    intro: 'O seu código de verificação para {{ application.name }} é:',
    expiry: `Expira em ${minutes}. Se não pediu este código, ignore este e-mail.`,
  },
  linkEmail: {
    subject: 'Entrar em {{ application.name }}',
    intro: 'Clique no botão abaixo para entrar em {{ application.name }}.',
    button: 'Entrar em {{ application.name }}',
    expiry: `O link expira em ${minutes} e só pode ser usado uma vez. Se não pediu este link, ignore este e-mail.`,
  },
};
