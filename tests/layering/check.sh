#!/bin/sh
# tests/layering/check.sh ROOT — layer: test (no privileges). The module layering of docs/architecture.md, checked
# over the project's own #include "..." lines of every source under ROOT (tests/ excluded):
#   policy/     includes policy/ only (no kernel, no sockets, no clock)
#   netfilter/  policy/, netfilter/
#   enforcer/   policy/, netfilter/, enforcer/
#   init/kube/  policy/, init/kube/ (the Kubernetes API source: no netfilter, no enforcer, no command line)
#   init/       anything (the command line and the binary sit on top)
# Prints every forbidden include as FILE:LINE: include "X" (MODULE may include only: ...) and exits 1 if any.
# Must not: modify anything.
set -eu
root=${1:?usage: check.sh ROOT}
cd "$root"
allowed() {  # the include prefixes a file may use, by its path
  case "$1" in
    init/kube/*) echo "policy/ init/kube/" ;;
    init/*) echo "*" ;;
    enforcer/*) echo "policy/ netfilter/ enforcer/" ;;
    netfilter/*) echo "policy/ netfilter/" ;;
    policy/*) echo "policy/" ;;
    *) echo "*" ;;
  esac
}
out=$(mktemp)
trap 'rm -f "$out"' EXIT
files=$(find policy netfilter enforcer init -type f \( -name '*.cpp' -o -name '*.hpp' -o -name '*.h' \) 2>/dev/null | sort || true)
[ -n "$files" ] || { echo "layering: no sources under $root" >&2; exit 1; }
for f in $files; do
  ok=$(allowed "$f")
  [ "$ok" = "*" ] && continue
  # Project includes only: "policy/...", "netfilter/...", "enforcer/...", "init/...".
  grep -n '^[[:space:]]*#[[:space:]]*include[[:space:]]*"\(policy\|netfilter\|enforcer\|init\)/' "$f" |
  while IFS= read -r line; do
    n=${line%%:*}
    inc=$(printf '%s\n' "$line" | sed 's/.*include[[:space:]]*"\([^"]*\)".*/\1/')
    pass=no
    for p in $ok; do
      case "$inc" in "$p"*) pass=yes ;; esac
    done
    if [ "$pass" = no ]; then
      echo "$f:$n: include \"$inc\" (may include only: $ok)"
    fi
  done
done > "$out"
if [ -s "$out" ]; then
  cat "$out"
  echo "layering: forbidden includes (docs/architecture.md, \"Modules\")" >&2
  exit 1
fi
echo "layering: $(echo "$files" | wc -l) files, every include allowed"
