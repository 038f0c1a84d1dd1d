import { SCRIPT_NAME, STYLE_NAME } from './assets.js';

const escapeHtml = (text: string) =>
  text.replace(
    /[&<>"']/g,
    (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!,
  );

/** The console's one HTML page: no inline script or style, the base path in a meta element. */
export function indexHtml(basePath: string): string {
  const base = escapeHtml(basePath);
  return (
    '<!doctype html><html lang="en"><head><meta charset="utf-8">' +
    '<meta name="viewport" content="width=device-width, initial-scale=1">' +
    `<meta name="keyward-console-base" content="${base}">` +
    '<link rel="icon" href="data:,">' +
    '<title>keyward console</title>' +
    `<link rel="stylesheet" href="${base}/assets/${STYLE_NAME}">` +
    `<script type="module" src="${base}/assets/${SCRIPT_NAME}"></script>` +
    '</head><body><div id="app"><noscript>The keyward console needs JavaScript.</noscript></div></body></html>'
  );
}
