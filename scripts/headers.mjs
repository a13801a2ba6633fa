// Write the `_headers` file static hosts read (Netlify, Cloudflare Pages) from serve.json,
// the dev server's configuration, so the two can never disagree.
//
// usage: node scripts/headers.mjs OUT
import { readFileSync, writeFileSync } from 'node:fs';

const out = process.argv[2];
if (!out) {
  console.error('usage: node scripts/headers.mjs OUT');
  process.exit(2);
}
const config = JSON.parse(readFileSync(new URL('../serve.json', import.meta.url), 'utf8'));
const lines = ['# Generated from serve.json by scripts/headers.mjs: edit that file instead.'];
for (const rule of config.headers) {
  // serve's globs are relative to the served folder; _headers paths start at the site root
  // of the deployment, so "**" becomes "/*" and a file name its own path.
  const path = rule.source === '**' ? '/*' : `/${rule.source}`;
  lines.push(path);
  for (const h of rule.headers) lines.push(`  ${h.key}: ${h.value}`);
}
writeFileSync(out, lines.join('\n') + '\n');
console.log(`wrote ${out}`);
