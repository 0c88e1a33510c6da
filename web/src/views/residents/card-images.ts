import JsBarcode from 'jsbarcode';
import QRCode from 'qrcode';

/** The card code as a CODE128 barcode (what the till's scanner reads), as an SVG data URL. */
export function barcodeDataUrl(code: string): string {
  const svg = document.createElementNS('http://www.w3.org/2000/svg', 'svg');
  JsBarcode(svg, code, { format: 'CODE128', width: 1.6, height: 48, margin: 0, fontSize: 14, textMargin: 2 });
  return `data:image/svg+xml;charset=utf-8,${encodeURIComponent(new XMLSerializer().serializeToString(svg))}`;
}

/** A QR code as a PNG data URL; error correction M survives a worn, folded card. */
export function qrDataUrl(text: string): Promise<string> {
  return QRCode.toDataURL(text, { errorCorrectionLevel: 'M', margin: 1, width: 240 });
}
