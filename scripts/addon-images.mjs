// Draws the app's icon.png (128×128) and logo.png (250×100) for the Home Assistant app store from
// the SVGs below, with Debian's Chromium (playwright-core). Run again after changing a drawing:
//   node scripts/addon-images.mjs
import { chromium } from 'playwright-core';
import { fileURLToPath } from 'node:url';

const out = (name) => fileURLToPath(new URL(`../addon/${name}`, import.meta.url));

// A lifebuoy: a ring of four red and four white segments.
const buoy = (cx, cy, r, w) => {
  const segs = [];
  for (let i = 0; i < 8; i++) {
    const a0 = (i * Math.PI) / 4 - Math.PI / 8;
    const a1 = a0 + Math.PI / 4;
    const p = (a, rr) => `${(cx + rr * Math.cos(a)).toFixed(2)} ${(cy + rr * Math.sin(a)).toFixed(2)}`;
    const ro = r, ri = r - w;
    segs.push(`<path fill="${i % 2 ? '#ffffff' : '#e5533d'}" d="M ${p(a0, ro)} A ${ro} ${ro} 0 0 1 ${p(a1, ro)} L ${p(a1, ri)} A ${ri} ${ri} 0 0 0 ${p(a0, ri)} Z"/>`);
  }
  return `<g stroke="#0b3a6f" stroke-width="2">${segs.join('')}</g><circle cx="${cx}" cy="${cy}" r="${r}" fill="none" stroke="#0b3a6f" stroke-width="3"/><circle cx="${cx}" cy="${cy}" r="${r - w}" fill="none" stroke="#0b3a6f" stroke-width="3"/>`;
};

const icon = `<svg xmlns="http://www.w3.org/2000/svg" width="128" height="128" viewBox="0 0 128 128">
<rect width="128" height="128" rx="24" fill="#1565c0"/>${buoy(64, 64, 46, 18)}</svg>`;

const logo = `<svg xmlns="http://www.w3.org/2000/svg" width="250" height="100" viewBox="0 0 250 100">
${buoy(50, 50, 38, 15)}
<text x="98" y="60" font-family="DejaVu Sans, sans-serif" font-size="27" font-weight="bold" fill="#0b3a6f">Lifeboat</text></svg>`;

const browser = await chromium.launch({ executablePath: '/usr/bin/chromium', args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'] });
try {
  for (const [name, svg, width, height] of [
    ['icon.png', icon, 128, 128],
    ['logo.png', logo, 250, 100],
  ]) {
    const page = await browser.newPage({ viewport: { width, height } });
    await page.setContent(`<html><body style="margin:0;background:transparent">${svg}</body></html>`);
    await page.screenshot({ path: out(name), omitBackground: true, clip: { x: 0, y: 0, width, height } });
    await page.close();
  }
} finally {
  await browser.close();
}
