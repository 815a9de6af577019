#!/usr/bin/env bash
# The FinOps Foundation's FOCUS validator in its own venv (default .venv-focus/): it needs Python >= 3.12, the
# project runs on 3.11. Idempotent: does nothing when the venv already has the pinned version.
#
#   billing_portal_tests/focus/install_validator.sh [VENV_DIR]
#
# Python: $FOCUS_PYTHON, else python3.12 / python3.13 on PATH, else pyenv's 3.12.x / 3.13.x. Exit 3 when none is
# found (the conformance test then fails under CI=true and skips elsewhere, printing why).
#
# focus-validator 2.2.1 declares numpy<2, but the pyarrow it pulls in (any version without an upper bound) needs
# numpy>=2 to import; the validator itself runs on numpy 2, so numpy is upgraded after the install.
set -euo pipefail
cd "$(dirname "$0")/../.."
VENV="${1:-.venv-focus}"
SPEC="focus-validator==2.2.1"
NUMPY="numpy>=2,<3"
STAMP="$VENV/.installed"

if [ -x "$VENV/bin/focus-validator" ] && [ "$(cat "$STAMP" 2>/dev/null)" = "$SPEC $NUMPY" ]; then
  exit 0
fi

find_python() {
  local candidates=()
  [ -n "${FOCUS_PYTHON:-}" ] && candidates+=("$FOCUS_PYTHON")
  candidates+=(python3.12 python3.13)
  if command -v pyenv >/dev/null 2>&1; then
    local root; root="$(pyenv root)"
    for p in "$root"/versions/3.12.*/bin/python "$root"/versions/3.13.*/bin/python; do
      [ -x "$p" ] && candidates+=("$p")
    done
  fi
  for c in "${candidates[@]}"; do
    if command -v "$c" >/dev/null 2>&1 && "$c" -c 'import sys; sys.exit(0 if sys.version_info >= (3, 12) else 1)' \
        2>/dev/null; then
      command -v "$c"
      return 0
    fi
  done
  return 1
}

if ! PY="$(find_python)"; then
  echo "focus-validator needs Python >= 3.12: none found (set FOCUS_PYTHON, install python3.12, or pyenv install 3.12)" >&2
  exit 3
fi

# pip, without the noise of this machine's local-index warnings and of the expected numpy conflict notice.
pip_install() {
  "$VENV/bin/pip" install --quiet --disable-pip-version-check "$@" 2>&1 \
    | { grep -v "^WARNING: Location\|dependency conflicts\|requires numpy<2.0\|resolver does not currently" || true; }
  return "${PIPESTATUS[0]}"
}

rm -rf "$VENV"
"$PY" -m venv "$VENV"
pip_install "$SPEC"
pip_install "$NUMPY"
"$VENV/bin/python" -c 'import pyarrow, focus_validator' # imports, or the install failed
echo "$SPEC $NUMPY" > "$STAMP"
echo "installed $SPEC in $VENV (Python $("$VENV/bin/python" -c 'import platform; print(platform.python_version())'))"
