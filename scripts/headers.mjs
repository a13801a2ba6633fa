// Write the `_headers` file static hosts read (Netlify, Cloudflare Pages) from serve.json,
// the dev server's configuration, so the two can never disagree.
//
// usage: [FRAME_ANCESTORS=...] node scripts/headers.mjs OUT [BASE]
//   BASE  the path the site is served under, default "/"; e.g. "/course/playground/" when
//         dist/ is deployed into a sub-folder of a bigger site (_headers paths are always
//         from the root of the whole deployment, not from the folder the file sits in).
//   FRAME_ANCESTORS  the pages allowed to embed the playground in an <iframe>, as a CSP
//         frame-ancestors list; default "'self' https:" (any course site served over
//         HTTPS). An instructor narrows it to their course site, e.g.
//         FRAME_ANCESTORS="'self' https://canvas.example.edu" (docs/embedding.md).
import { readFileSync, writeFileSync } from 'node:fs';

const [out, baseArg = '/'] = process.argv.slice(2);
if (!out || !baseArg.startsWith('/')) {
  console.error('usage: node scripts/headers.mjs OUT [BASE, e.g. /course/playground/]');
  process.exit(2);
}
const base = baseArg.endsWith('/') ? baseArg : `${baseArg}/`;
const config = JSON.parse(readFileSync(new URL('../serve.json', import.meta.url), 'utf8'));

/**
 * The dev server's value, as a deployment should send it. `no-store` keeps a dev build from
 * ever being cached; deployed, `no-cache` (always revalidate) serves the same fresh files
 * but lets a class of students revalidate the WebAssembly instead of downloading it again.
 * @param {string} key @param {string} value
 */
const FRAME_ANCESTORS = process.env.FRAME_ANCESTORS?.trim() || "'self' https:";
if (/[;,\n]/.test(FRAME_ANCESTORS)) {
  console.error(`FRAME_ANCESTORS: ${JSON.stringify(FRAME_ANCESTORS)} is not a frame-ancestors source list (space-separated sources, no ';')`);
  process.exit(2);
}
const deployed = (key, value) => {
  if (key.toLowerCase() === 'cache-control' && value === 'no-store') return 'no-cache';
  // The dev server lets local pages embed it; a deployment, the sites it is given.
  if (key.toLowerCase() === 'content-security-policy') return value.replace(/frame-ancestors [^;]*/, `frame-ancestors ${FRAME_ANCESTORS}`);
  return value;
};

/**
 * serve's globs are relative to the served folder; _headers paths start at the site root,
 * so "**" becomes BASE + "*" and a file name its own path. Cloudflare Pages redirects
 * `/embed.html` to `/embed` (and Netlify's pretty URLs may), so a page also gets a rule
 * under its name without ".html".
 * @param {string} source
 */
function paths(source) {
  if (source === '**') return [`${base}*`];
  if (source.includes('*')) throw new Error(`serve.json: no _headers translation for the glob "${source}"`);
  const path = `${base}${source.replace(/^\//, '')}`;
  return path.endsWith('.html') ? [path, path.slice(0, -'.html'.length)] : [path];
}

const lines = [
  '# Generated from serve.json by scripts/headers.mjs: edit that file instead.',
  `# Netlify and Cloudflare Pages read this file from the root of the deployment; the site is served under ${base}.`,
  '# Several rules may match one path: both hosts send the headers of every rule that matches.',
];
for (const rule of config.headers) {
  for (const path of paths(rule.source)) {
    lines.push(path);
    for (const h of rule.headers) lines.push(`  ${h.key}: ${deployed(h.key, h.value)}`);
  }
}
writeFileSync(out, lines.join('\n') + '\n');
console.log(`wrote ${out}`);
