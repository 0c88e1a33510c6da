import { chromium, type Browser } from 'playwright-core';

/** Debian's Chromium (scripts/test.sh installs it); playwright never downloads a browser here. */
export const CHROMIUM = '/usr/bin/chromium';
export const CHROMIUM_ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'];

export function launchChromium(): Promise<Browser> {
  return chromium.launch({ executablePath: CHROMIUM, headless: true, args: CHROMIUM_ARGS });
}

/**
 * Which PDF page each link annotation's URI is on. Chromium (Skia) writes one object per page
 * with `/Annots [n 0 R …]` and one object per link annotation with `/URI (…)`, uncompressed; a
 * test puts a link at the top and at the bottom of each table row and so learns which page(s)
 * each row was printed on.
 */
export function linkPages(pdf: Buffer): { pages: number; uriPage: Map<string, number[]>; mediaBoxes: Array<[number, number]> } {
  const text = pdf.toString('latin1');
  const objects = new Map<string, string>();
  for (const m of text.matchAll(/(\d+) 0 obj\s*([\s\S]*?)endobj/g)) objects.set(m[1], m[2]);
  const pageObjects = [...objects.entries()].filter(([, body]) => /\/Type\s*\/Page(?![s\w])/.test(body));
  const kids = [...text.matchAll(/\/Kids\s*\[([^\]]*)\]/g)].flatMap((m) => [...m[1].matchAll(/(\d+) 0 R/g)].map((k) => k[1]));
  const order = kids.filter((k) => pageObjects.some(([id]) => id === k));
  const uriPage = new Map<string, number[]>();
  order.forEach((pageId, index) => {
    const annots = /\/Annots\s*\[([^\]]*)\]/.exec(objects.get(pageId) ?? '');
    for (const ref of annots ? annots[1].matchAll(/(\d+) 0 R/g) : []) {
      const uri = /\/URI\s*\(([^)]*)\)/.exec(objects.get(ref[1]) ?? '');
      if (uri) uriPage.set(uri[1], [...(uriPage.get(uri[1]) ?? []), index + 1]);
    }
  });
  const mediaBoxes = [...text.matchAll(/\/MediaBox \[0 0 ([\d.]+) ([\d.]+)\]/g)].map((m) => [Number(m[1]), Number(m[2])] as [number, number]);
  return { pages: order.length, uriPage, mediaBoxes };
}
