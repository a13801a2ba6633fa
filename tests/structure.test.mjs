// The house rules, checked on the sources: the arrows between the parts run one way, and
// what the Rust schema defines (JS values, limits, state and model names) is not written
// again elsewhere. Each test names the rule; a file that breaks it is named in the failure.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, readdirSync } from 'node:fs';
import { join, relative, dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');

/** Every file under `dir` (relative to the repo) whose name matches `pattern`, skipping build outputs. */
function files(dir, pattern) {
  const out = [];
  const walk = (d) => {
    for (const e of readdirSync(d, { withFileTypes: true })) {
      const p = join(d, e.name);
      if (e.isDirectory()) {
        if (!['pkg', 'vendor', 'node_modules'].includes(e.name)) walk(p);
      } else if (pattern.test(e.name)) out.push(relative(ROOT, p));
    }
  };
  walk(join(ROOT, dir));
  return out.sort();
}

const read = (f) => readFileSync(join(ROOT, f), 'utf8');

/** The code of a Rust file without its comments and strings' doc lines. */
const rustCode = (f) =>
  read(f)
    .split('\n')
    .filter((l) => !/^\s*\/\//.test(l))
    .join('\n');

/**
 * The relative imports of a JS module, resolved from the repo root: its static imports (what
 * must load before it runs) and, unless `staticOnly`, its dynamic and JSDoc type imports.
 * @param {string} f @param {{staticOnly?: boolean}} [o]
 */
function imports(f, { staticOnly = false } = {}) {
  const text = read(f);
  const found = [...text.matchAll(/(?:import|export)\s[^'"]*?from\s*'([^']+)'|import\(\s*'([^']+)'\s*\)|@typedef \{import\('([^']+)'\)/g)];
  return found
    .map((m) => m[1] ?? (staticOnly ? undefined : (m[2] ?? m[3])))
    .filter((p) => p?.startsWith('.'))
    .map((p) => relative(ROOT, resolve(ROOT, dirname(f), p)));
}

test('only the boundary touches JS values: no JsValue, wasm_bindgen or js_sys outside src/boundary', () => {
  const bad = files('src', /\.rs$/)
    .filter((f) => !f.startsWith('src/boundary/'))
    .filter((f) => /\b(JsValue|wasm_bindgen|js_sys|web_sys)\b/.test(rustCode(f)));
  assert.deepEqual(bad, []);
});

test('models depend on the core only: no model module uses another model or the boundary', () => {
  const models = files('src/models', /\.rs$/);
  assert.ok(models.length >= 4, models.join(', '));
  const name = (f) => f.split('/')[2].replace(/\.rs$/, '');
  const bad = [];
  for (const f of models) {
    const code = rustCode(f);
    for (const other of models.map(name).filter((n) => n !== name(f) && n !== 'mod')) {
      if (new RegExp(`\\b(models::${other}|super::${other})\\b`).test(code)) bad.push(`${f} uses ${other}`);
    }
    if (/\bboundary\b/.test(code)) bad.push(`${f} uses the boundary`);
  }
  assert.deepEqual(bad, []);
});

test('the core uses neither the models nor the boundary', () => {
  const core = files('src', /\.rs$/).filter((f) => !f.startsWith('src/models/') && !f.startsWith('src/boundary/') && f !== 'src/lib.rs');
  const bad = core.filter((f) => /\bcrate::(models|boundary)\b/.test(rustCode(f)));
  assert.deepEqual(bad, []);
});

test('views draw; they import no runner, worker, page module or the WebAssembly', () => {
  const bad = [];
  for (const f of files('www/views', /\.js$/)) {
    for (const i of imports(f)) {
      if (!(i.startsWith('www/views/') || i.startsWith('www/shared/') || i.startsWith('www/vendor/'))) bad.push(`${f} imports ${i}`);
    }
  }
  assert.deepEqual(bad, []);
});

test('workers import only the shared folder and their own build, never the page', () => {
  const bad = [];
  for (const f of files('www/workers', /\.js$/)) {
    for (const i of imports(f)) {
      if (!(i.startsWith('www/shared/') || i.startsWith('www/pkg/'))) bad.push(`${f} imports ${i}`);
    }
  }
  assert.deepEqual(bad, []);
});

test('the shared folder imports nothing but itself', () => {
  const bad = [];
  for (const f of files('www/shared', /\.js$/)) for (const i of imports(f)) if (!i.startsWith('www/shared/')) bad.push(`${f} imports ${i}`);
  assert.deepEqual(bad, []);
});

test('runners measure and views draw: no runner imports a view, the page (main.js, page/) or a worker', () => {
  const bad = [];
  for (const f of files('www/runners', /\.js$/)) {
    for (const i of imports(f)) {
      if (i.startsWith('www/views/') || i.startsWith('www/page/') || i.startsWith('www/workers/') || i === 'www/main.js') bad.push(`${f} imports ${i}`);
    }
  }
  assert.deepEqual(bad, []);
});

test('each runner is its model alone: no runner imports another model\'s runner', () => {
  const models = ['sequential', 'asyncio', 'threading', 'multiprocessing'];
  const bad = [];
  for (const m of models) {
    const f = `www/runners/${m}.js`;
    for (const i of imports(f)) for (const other of models.filter((o) => o !== m)) if (i === `www/runners/${other}.js`) bad.push(`${f} imports ${i}`);
  }
  assert.deepEqual(bad, []);
});

test('a combined model borrows the other models\' workers only through runners/executors.js', () => {
  const others = ['sequential', 'asyncio', 'threading', 'multiprocessing'].map((m) => `www/runners/${m}.js`);
  const bad = [];
  for (const f of ['www/runners/asyncio-processes.js', 'www/runners/asyncio-threads.js']) {
    for (const i of imports(f)) if (others.includes(i)) bad.push(`${f} imports ${i}`);
  }
  assert.deepEqual(bad, []);
  assert.ok(imports('www/runners/asyncio-processes.js').includes('www/runners/executors.js'));
});

/** The page's JS, where the schema's names and limits must not be written again. */
const pageJs = () => files('www', /\.js$/).filter((f) => !f.startsWith('www/vendor/'));

test('span states are named in Rust and in one table of words (views/timeline/interact.js), nowhere else', () => {
  const states = ['io_wait', 'gil_wait', 'gil_held', 'spawn', 'ipc', 'blocked', 'running'];
  const bad = [];
  for (const f of pageJs().filter((f) => f !== 'www/views/timeline/interact.js')) {
    read(f)
      .split('\n')
      .forEach((line, n) => {
        if (/^\s*(\/\/|\*|\/\*)/.test(line)) return;
        // 'running' is also a state of the page (data-state) and of a matrix cell.
        const page = /setState\(|verdict/.test(line);
        for (const s of states) if (!(s === 'running' && page) && new RegExp(`['"\`]${s}['"\`]`).test(line)) bad.push(`${f}:${n + 1}: '${s}'`);
      });
  }
  assert.deepEqual(bad, []);
});

test('limits and model lists are the schema\'s: no 64, 256 or 10000 outside the views, no list of model names', () => {
  const bad = [];
  // Views keep presentation constants of their own (a timeline aggregates above 64 lanes).
  for (const f of pageJs().filter((f) => !f.startsWith('www/views/'))) {
    read(f)
      .split('\n')
      .forEach((line, n) => {
        if (/^\s*(\/\/|\*|\/\*)/.test(line)) return;
        if (/(?<![\w.])(64|256|10000|10_000)(?![\w.])/.test(line)) bad.push(`${f}:${n + 1}: ${line.trim()}`);
        if (/\[\s*'sequential',\s*'asyncio'/.test(line)) bad.push(`${f}:${n + 1}: ${line.trim()}`);
      });
  }
  assert.deepEqual(bad, []);
});

test('the Rust schema knows every state the views have words for, and the other way round', () => {
  const rust = read('src/trace.rs');
  const body = rust.slice(rust.indexOf('pub enum State {'), rust.indexOf('}', rust.indexOf('pub enum State {')));
  const variants = [...body.matchAll(/^\s{4}([A-Z]\w*),/gm)].map((m) => m[1].replace(/([a-z])([A-Z])/g, '$1_$2').toLowerCase());
  const words = read('www/views/timeline/interact.js');
  const table = words.slice(words.indexOf('STATE_LABELS'), words.indexOf('});', words.indexOf('STATE_LABELS')));
  const labelled = [...table.matchAll(/^\s{2}(\w+):/gm)].map((m) => m[1]);
  assert.deepEqual([...labelled].sort(), [...variants].sort());
});


test('the index preloads every module the page needs before main.js runs: none is found one level of imports at a time', () => {
  const graph = new Set();
  const walk = (f) => {
    for (const g of imports(f, { staticOnly: true })) {
      if (!graph.has(g)) {
        graph.add(g);
        walk(g);
      }
    }
  };
  walk('www/main.js');
  assert.ok(graph.has('www/engine.js'), [...graph].join(', '));
  const preloaded = new Set([...read('www/index.html').matchAll(/<link rel="modulepreload" href="([^"]+)"/g)].map((m) => `www/${m[1]}`));
  assert.deepEqual([...graph].filter((f) => !preloaded.has(f)).sort(), [], 'imported before main.js runs, but not preloaded');
  assert.deepEqual([...preloaded].filter((f) => !graph.has(f)).sort(), [], 'preloaded, but not imported before main.js runs');
});
