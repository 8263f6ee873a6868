import type { Phrases } from './phrases.ts';

const minutes = '{{ ttl_minutes }} {% if ttl_minutes == 1 %}minuto{% else %}minutos{% endif %}';

export const es: Phrases = {
  sms: `{{ code }} es tu código de verificación de {{ application.name }}. Caduca en ${minutes}. Si no lo solicitaste, ignora este mensaje.`,
  codeEmail: {
    subject: 'Tu código de verificación de {{ application.name }}',
    intro: 'Tu código de verificación de {{ application.name }} es:',
    expiry: `Caduca en ${minutes}. Si no lo solicitaste, ignora este correo.`,
  },
  linkEmail: {
    subject: 'Inicia sesión en {{ application.name }}',
    intro: 'Haz clic en el botón de abajo para iniciar sesión en {{ application.name }}.',
    button: 'Iniciar sesión en {{ application.name }}',
    expiry: `El enlace caduca en ${minutes} y solo se puede usar una vez. Si no lo solicitaste, ignora este correo.`,
  },
};
