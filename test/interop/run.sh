#!/usr/bin/env bash
# Interop suite: the official Python SDK (kfp, pinned in requirements.txt), a hand-built aiohttp client
# and the kfp-ts client against the emulator. Used by `npm run test:interop` and by `npm test`.
#
#   bash test/interop/run.sh [pytest args...]
#
# - creates the venv `.venv-interop` at the repository root when missing (idempotent) and installs
#   requirements.txt into it, again only when that file changed since the last install;
# - needs `dist/` (the emulator and the kfp-ts client are imported from the build); runs `npm run
#   build` when it is missing;
# - runs pytest with a throw-away HOME (the SDK reads and writes ~/.config/kfp), prints pytest's own
#   summary line and exits with pytest's exit code.
set -uo pipefail

cd "$(dirname "$0")/../.."
ROOT="$(pwd)"
VENV="$ROOT/.venv-interop"
REQ="$ROOT/test/interop/requirements.txt"
PYTHON_BIN="${PYTHON:-python3}"

if ! command -v "$PYTHON_BIN" >/dev/null 2>&1; then
  echo "interop: $PYTHON_BIN not found; install Python 3.9+ or set PYTHON=/path/to/python3" >&2
  exit 2
fi

if [ ! -x "$VENV/bin/python" ]; then
  echo "interop: creating $VENV" >&2
  "$PYTHON_BIN" -m venv "$VENV" || { echo "interop: could not create the venv $VENV" >&2; exit 2; }
fi

STAMP="$VENV/.interop-requirements.sha256"
WANT="$(sha256sum "$REQ" | cut -d' ' -f1)"
if [ "$(cat "$STAMP" 2>/dev/null || true)" != "$WANT" ]; then
  echo "interop: installing $(basename "$REQ") into $VENV" >&2
  if ! "$VENV/bin/python" -m pip install --disable-pip-version-check -q -r "$REQ" >&2; then
    echo "interop: pip install failed" >&2
    exit 2
  fi
  echo "$WANT" >"$STAMP"
fi

if [ ! -f "$ROOT/packages/emulator/dist/index.js" ] || [ ! -f "$ROOT/packages/kfp-ts/dist/index.js" ]; then
  echo "interop: dist/ is missing, running npm run build" >&2
  npm run build >&2 || { echo "interop: npm run build failed" >&2; exit 2; }
fi

# The SDK reads ~/.config/kfp/context.json and may write it: never let it see the real HOME.
INTEROP_HOME="$(mktemp -d "${TMPDIR:-/tmp}/kfp-ts-interop-home.XXXXXX")"
trap 'rm -rf "$INTEROP_HOME"' EXIT
export HOME="$INTEROP_HOME"
# Nothing from the caller's environment may redirect the SDK elsewhere.
unset KF_PIPELINES_ENDPOINT KF_PIPELINES_UI_ENDPOINT KF_PIPELINES_IAP_OAUTH2_CLIENT_ID \
  KF_PIPELINES_APP_OAUTH2_CLIENT_ID KF_PIPELINES_APP_OAUTH2_CLIENT_SECRET \
  KF_PIPELINES_DEFAULT_EXPERIMENT_NAME KF_PIPELINES_OVERRIDE_EXPERIMENT_NAME KF_PIPELINES_SA_TOKEN_PATH
export NO_PROXY="127.0.0.1,localhost${NO_PROXY:+,$NO_PROXY}"
export no_proxy="$NO_PROXY"
export PYTHONDONTWRITEBYTECODE=1

"$VENV/bin/python" -m pytest "$ROOT/test/interop" -rfEs -p no:cacheprovider "$@"
status=$?
exit $status
