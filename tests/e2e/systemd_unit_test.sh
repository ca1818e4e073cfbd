#!/usr/bin/env bash
# Checks the systemd files offline, without a running systemd (CTest: systemd_unit_verifies).
#   tests/e2e/systemd_unit_test.sh BUILT_DASFLOWD SOURCE_DIR
# 1. `systemd-analyze verify` on systemd/dasflow.service, with ExecStart= pointed at the built
#    binary (verify checks that the command exists): any message at all is a failure.
# 2. `systemd-analyze security --offline=true`: the overall exposure must be <= 2.0.
# 3. `systemd-sysusers --dry-run` of systemd/dasflow.sysusers into an empty root.
# Exit 77 (CTest's skip code) when systemd-analyze is not installed.
set -euo pipefail

max_exposure=2.0

if [ $# -ne 2 ]; then
  echo "usage: $0 BUILT_DASFLOWD SOURCE_DIR" >&2
  exit 2
fi
dasflowd=$(realpath -m "$1")
src=$(realpath -m "$2")
unit_src="$src/systemd/dasflow.service"
sysusers_src="$src/systemd/dasflow.sysusers"

if ! command -v systemd-analyze >/dev/null 2>&1; then
  echo "SKIP: systemd-analyze not found (Debian package: systemd)"
  exit 77
fi
[ -x "$dasflowd" ] || { echo "FAIL: $dasflowd is not an executable" >&2; exit 1; }
[ -f "$unit_src" ] || { echo "FAIL: $unit_src not found" >&2; exit 1; }

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
# verify and security take the unit name from the file name: keep it dasflow.service.
unit="$tmp/dasflow.service"
sed -e "s|^ExecStart=/usr/bin/dasflowd |ExecStart=$dasflowd |" "$unit_src" >"$unit"
if ! grep -q "^ExecStart=$dasflowd " "$unit"; then
  echo "FAIL: no 'ExecStart=/usr/bin/dasflowd ...' line to rewrite in $unit_src" >&2
  exit 1
fi

failed=0

# --- verify ---------------------------------------------------------------------------------------
# systemd is not PID 1 in containers and CI: --man=false (no man pages needed for Documentation=),
# --generators=false (generators need privileges and a real system), --recursive-errors=no (only
# this unit's problems, not those of multi-user.target & co. on the build host). verify exits 0
# on unknown keys or unparsable values and only prints them, hence "any output fails".
verify_out=$(cd "$tmp" && systemd-analyze verify --man=false --generators=false --recursive-errors=no \
  "$unit" 2>&1) && verify_rc=0 || verify_rc=$?
if [ "$verify_rc" -ne 0 ] || [ -n "$verify_out" ]; then
  echo "FAIL: systemd-analyze verify dasflow.service (exit $verify_rc):"
  echo "$verify_out"
  failed=1
else
  echo "ok: systemd-analyze verify dasflow.service: no messages"
fi

# --- security ------------------------------------------------------------------------------------
security_out=$(cd "$tmp" && systemd-analyze security --offline=true --no-pager "$unit" 2>&1) || true
line=$(grep "Overall exposure level" <<<"$security_out" || true)
score=$(sed -nE 's/.*Overall exposure level for [^:]*: *([0-9]+(\.[0-9]+)?).*/\1/p' <<<"$line")
if [ -z "$score" ]; then
  echo "FAIL: no 'Overall exposure level' in the output of systemd-analyze security --offline=true:"
  echo "$security_out"
  failed=1
elif awk -v s="$score" -v m="$max_exposure" 'BEGIN { exit !(s > m) }'; then
  echo "FAIL: exposure $score > $max_exposure:"
  grep -E '^✗' <<<"$security_out" || echo "$security_out"
  failed=1
else
  echo "ok: systemd-analyze security: exposure $score (<= $max_exposure)"
fi

# --- sysusers --------------------------------------------------------------------------------------
# --root makes it compute the users against an empty tree; --dry-run writes nothing. Absolute
# config paths are read from the host, not from under --root.
if [ ! -f "$sysusers_src" ]; then
  echo "FAIL: $sysusers_src not found"
  failed=1
elif ! command -v systemd-sysusers >/dev/null 2>&1; then
  echo "note: systemd-sysusers not found: dasflow.sysusers not checked"
else
  mkdir "$tmp/root"
  sysusers_out=$(systemd-sysusers --root="$tmp/root" --dry-run "$sysusers_src" 2>&1) && sysusers_rc=0 ||
    sysusers_rc=$?
  unexpected=$(grep -vE "^(Creating (group|user) 'dasflow'|Would write )" <<<"$sysusers_out" || true)
  if [ "$sysusers_rc" -ne 0 ] || [ -n "$unexpected" ] ||
    ! grep -q "^Creating user 'dasflow'" <<<"$sysusers_out" ||
    ! grep -q "^Creating group 'dasflow'" <<<"$sysusers_out"; then
    echo "FAIL: systemd-sysusers --dry-run dasflow.sysusers (exit $sysusers_rc):"
    echo "$sysusers_out"
    failed=1
  else
    echo "ok: systemd-sysusers --dry-run: creates group and user dasflow"
  fi
fi

exit "$failed"
