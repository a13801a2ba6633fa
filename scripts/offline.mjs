// Write DIR/offline.json: every file of the page in DIR (relative to it), and a version
// that changes when any of them does. The service worker keeps them all once the page is
// ready (www/page/offline.js), so a page loaded before the network drops keeps working.
//   node scripts/offline.mjs DIR
import { createHash } from 'node:crypto';
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join, relative, sep } from 'node:path';

const dir = process.argv[2];
if (!dir) {
  console.error('usage: node scripts/offline.mjs DIR');
  process.exit(2);
}
/** Files a browser never asks for. */
const SKIP = new Set(['offline.json', '_headers', '.gitignore', '.nojekyll']);

/** @param {string} d @returns {string[]} */
function walk(d) {
  return readdirSync(d, { withFileTypes: true }).flatMap((e) => {
    const path = join(d, e.name);
    if (e.isDirectory()) return walk(path);
    return e.isFile() && !SKIP.has(e.name) ? [path] : [];
  });
}

const hash = createHash('sha256');
const files = walk(dir)
  .map((path) => relative(dir, path).split(sep).join('/'))
  .sort();
for (const file of files) hash.update(file).update('\0').update(readFileSync(join(dir, file))).update('\0');
// './' is the page under the folder's own URL, as a link to the site opens it.
writeFileSync(join(dir, 'offline.json'), `${JSON.stringify({ version: hash.digest('hex').slice(0, 16), files: ['./', ...files] }, null, 1)}\n`);
console.log(`${dir}/offline.json: ${files.length} files`);
