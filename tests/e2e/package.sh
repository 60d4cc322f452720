#!/usr/bin/env bash
# tests/e2e/package.sh BUILD_DIR — the Debian package CPack makes (deploy/packaging.cmake) holds what the
# systemd units and docs/operations.md promise: the binary where the units run it, both units, the options file as
# a conffile, an empty policy directory, the docs and examples; and the packaged binary runs.
set -uo pipefail
BUILD=$(realpath "$1")
TMP=$(mktemp -d /tmp/nfegress-pkg.XXXXXX)
trap 'rm -rf "$TMP"' EXIT
fail() { echo "FAIL: $*" >&2; exit 1; }

cpack --config "$BUILD/CPackConfig.cmake" -G DEB -B "$TMP" > "$TMP/cpack.log" 2>&1 || { cat "$TMP/cpack.log"; fail "cpack"; }
DEB=$(ls "$TMP"/nfegress_*.deb 2>/dev/null | head -1)
[ -n "$DEB" ] || fail "no .deb produced"
dpkg-deb -c "$DEB" | awk '{print $6}' | sed 's|^\./|/|' > "$TMP/files"
for f in /usr/sbin/nfegress /usr/lib/systemd/system/nfegress-init.service \
         /usr/lib/systemd/system/nfegress-enforce.service /etc/nfegress/nfegress.env /etc/nfegress/policy/ \
         /usr/share/doc/nfegress/README.md /usr/share/doc/nfegress/operations.md \
         /usr/share/doc/nfegress/policy-reference.md /usr/share/doc/nfegress/examples/linkerd-docs-egress.yaml; do
  grep -qxF "$f" "$TMP/files" || fail "package lacks $f"
done
echo "ok: package holds binary, units, /etc/nfegress and docs"
dpkg-deb -e "$DEB" "$TMP/control"
grep -qxF /etc/nfegress/nfegress.env "$TMP/control/conffiles" || fail "nfegress.env is not a conffile"
grep -q '^Depends: .' "$TMP/control/control" || fail "the package declares no Depends"
echo "ok: conffile and Depends ($(sed -n 's/^Depends: //p' "$TMP/control/control"))"
dpkg-deb -x "$DEB" "$TMP/root"
for u in "$TMP"/root/usr/lib/systemd/system/*.service; do
  exe=$(sed -n 's/^ExecStart=\([^ ]*\).*/\1/p' "$u")
  [ -x "$TMP/root$exe" ] || fail "$(basename "$u") runs $exe, which the package does not install"
  grep -q '/etc/nfegress/policy' "$u" || fail "$(basename "$u") does not read /etc/nfegress/policy"
done
echo "ok: both units run the packaged binary on /etc/nfegress/policy"
"$TMP/root/usr/sbin/nfegress" --version | grep -q '^nfegress ' || fail "packaged binary does not run"
echo "ok: packaged binary runs: $("$TMP/root/usr/sbin/nfegress" --version)"
