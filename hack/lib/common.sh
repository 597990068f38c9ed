# Shared helpers for hack/ scripts. Sourced, never run.
# shellcheck shell=bash
set -euo pipefail

REPO_ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
# shellcheck source=../versions.sh
source "$REPO_ROOT/hack/versions.sh"
# Repo-local links to the cached tools (gitignored): tests and the demo look here.
LOCAL_BIN="$REPO_ROOT/.bin"

log() { printf '==> %s\n' "$*" >&2; }
die() { printf 'error: %s\n' "$*" >&2; exit 1; }

# A short content hash, used in cache keys so that changed inputs never reuse an old entry.
content_hash() { cat "$@" | sha256sum | cut -c1-12; }

# Runs "$@" to fill a fresh staging directory, then moves it into place in one rename.
# An interrupted build leaves only a *.partial.* directory, which no later run trusts.
build_cache_entry() {
  local dest=$1; shift
  if [ -f "$dest/.complete" ]; then return 0; fi
  rm -rf "$dest" "$dest".partial.*
  local stage="$dest.partial.$$"
  mkdir -p "$stage"
  "$@" "$stage"
  touch "$stage/.complete"
  mv "$stage" "$dest"
}

link_into_local_bin() {
  mkdir -p "$LOCAL_BIN"
  ln -sfn "$1" "$LOCAL_BIN/$(basename "$1")"
}
