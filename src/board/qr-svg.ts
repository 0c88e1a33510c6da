import { create } from 'qrcode';

/** Modules of white border around the symbol: the QR specification's quiet zone. */
const QUIET = 4;

/**
 * A QR code as an inline SVG (server-side, no script, no image request): one path of unit
 * squares on a viewBox in modules, so it prints sharp at any size the CSS gives it.
 * Error correction M (15 %): survives a pin hole or a fold in a paper notice.
 */
export function qrSvg(text: string, label: string): string {
  const { modules } = create(text, { errorCorrectionLevel: 'M' });
  const n = modules.size;
  let d = '';
  for (let y = 0; y < n; y++) {
    for (let x = 0; x < n; x++) {
      if (modules.data[y * n + x]) d += `M${x + QUIET} ${y + QUIET}h1v1h-1z`;
    }
  }
  const size = n + 2 * QUIET;
  const safeLabel = label.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
  return `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 ${size} ${size}" shape-rendering="crispEdges" role="img" aria-label="${safeLabel}"><rect width="${size}" height="${size}" fill="#fff"/><path d="${d}" fill="#000"/></svg>`;
}
