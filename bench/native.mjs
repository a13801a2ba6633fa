// The native side of the benchmark: the helper binary (examples/bench_native.rs) for the
// kernel and rayon on this machine, and CPython 3 running the scripts the playground
// generates (python::script), each ending with one `RESULT {json}` line.
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

/**
 * Build the helper binary (release, for this machine) and return its path. Honours
 * CARGO_TARGET_DIR, as cargo does.
 * @param {string} root the repository
 */
export function buildNative(root) {
  const out = execFileSync(
    'cargo',
    ['build', '--release', '--quiet', '--example', 'bench_native', '--message-format=json-render-diagnostics'],
    { cwd: root, encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'], maxBuffer: 64 << 20 },
  );
  for (const line of out.split('\n')) {
    if (!line.startsWith('{')) continue;
    const msg = JSON.parse(line);
    if (msg.reason === 'compiler-artifact' && msg.target?.name === 'bench_native' && msg.executable) return msg.executable;
  }
  throw new Error('cargo built no bench_native executable');
}

/**
 * Run the helper binary and return its stdout.
 * @param {string} bin
 * @param {string[]} args
 */
export function native(bin, args) {
  return execFileSync(bin, args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'], maxBuffer: 64 << 20 });
}

/** @param {string} bin @param {number} reps @returns {{iters_per_ms: number[]}} */
export function nativeKernel(bin, reps) {
  return JSON.parse(native(bin, ['kernel', String(reps)]));
}

/**
 * @param {string} bin @param {string} query @param {number} threads @param {number} reps
 * @returns {{threads: number, iters_per_ms: number, seq_ms: number[], par_ms: number[]}}
 */
export function nativeRayon(bin, query, threads, reps) {
  return JSON.parse(native(bin, ['rayon', query, String(threads), String(reps)]));
}

/**
 * Write the generated CPython script for `query` and `model` under `dir`; return its path.
 * @param {string} bin @param {string} dir @param {string} query @param {string} model @param {string} name
 */
export function writeScript(bin, dir, query, model, name) {
  mkdirSync(dir, { recursive: true });
  const path = join(dir, name);
  writeFileSync(path, native(bin, ['script', query, model]));
  return path;
}

/**
 * Run a Python script (a generated one, or bench/startup.py) under python3 and return its
 * RESULT figures.
 * @param {string} path @param {string[]} [args]
 * @returns {Record<string, any>}
 */
export function runPython(path, args = []) {
  const r = spawnSync('python3', [path, ...args], { encoding: 'utf8', timeout: 120_000, maxBuffer: 64 << 20 });
  if (r.status !== 0) throw new Error(`python3 ${path} exited with ${r.status ?? r.signal}:\n${r.stderr}`);
  const last = r.stdout.trimEnd().split('\n').at(-1) ?? '';
  if (!last.startsWith('RESULT ')) throw new Error(`python3 ${path}: the last line is not a RESULT line:\n${r.stdout}`);
  return JSON.parse(last.slice('RESULT '.length));
}

/** @returns {string} e.g. "3.11.7" */
export function pythonVersion() {
  return execFileSync('python3', ['-c', 'import platform; print(platform.python_version())'], { encoding: 'utf8' }).trim();
}
