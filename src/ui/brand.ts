/**
 * An application's colours as a stylesheet served from this origin: the pages keep a strict
 * Content-Security-Policy (no inline style) and still wear each application's colour.
 */
export function brandStylesheet(accent: string | undefined): string {
  if (!accent) return '';
  const dark = contrastsWithWhite(accent);
  // A light brand colour gets dark text on buttons, and dark links and focus rings that still show on white.
  const ink = dark ? '#ffffff' : '#111827';
  const text = dark ? accent : '#1f2933';
  return `:root {\n  --accent: ${accent};\n  --accent-ink: ${ink};\n  --accent-text: ${text};\n  --focus: ${text};\n}\n`;
}

/** True when white text on this colour reaches WCAG AA contrast (4.5:1). */
function contrastsWithWhite(hex: string): boolean {
  const channel = (i: number) => {
    const c = Number.parseInt(hex.slice(i, i + 2), 16) / 255;
    return c <= 0.03928 ? c / 12.92 : ((c + 0.055) / 1.055) ** 2.4;
  };
  const luminance = 0.2126 * channel(1) + 0.7152 * channel(3) + 0.0722 * channel(5);
  return 1.05 / (luminance + 0.05) >= 4.5;
}
