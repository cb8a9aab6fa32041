#!/usr/bin/env bash
# The Debian packages of cmake/VroegPackaging.cmake, in two steps (tests/package/CMakeLists.txt):
#   package_test.sh build    cpack -G DEB the build tree into VROEG_DEB_DIR and check the three
#                            .deb files with dpkg-deb: names, files, Depends, conffiles,
#                            maintainer scripts; the packaged binaries run.
#   package_test.sh install  install them for real (root only, not for a sanitizer build),
#                            check the user, directories, binaries and units, then purge them
#                            and check that nothing is left. Exits 77 (skipped) where it
#                            cannot run.
# Environment (set by ctest): VROEG_SOURCE_DIR, VROEG_BINARY_DIR, VROEG_DEB_DIR, VROEG_VERSION,
# VROEG_SANITIZE, VROEG_CPACK.
set -uo pipefail

readonly SKIP=77
readonly PACKAGES=(vroeg-agent vroeg-collector vroeg-common)

fail() {
  printf 'FAIL: %s\n' "$*" >&2
  exit 1
}
note() { printf -- '-- %s\n' "$*"; }

# expect_eq WHAT ACTUAL EXPECTED
expect_eq() {
  [ "$2" = "$3" ] || fail "$1: got '$2', expected '$3'"
}

# expect_lacks WHAT TEXT PART
expect_lacks() {
  case "$2" in
    *"$3"*) fail "$1: '$3' should not be in: $2" ;;
  esac
}

# expect_contains WHAT TEXT PART
expect_contains() {
  case "$2" in
    *"$3"*) ;;
    *) fail "$1: '$3' not found in: $2" ;;
  esac
}

for var in VROEG_SOURCE_DIR VROEG_BINARY_DIR VROEG_DEB_DIR VROEG_VERSION VROEG_SANITIZE \
  VROEG_AGENT_STATIC_GRPC; do
  [ -n "${!var:-}" ] || fail "$var is not set; run this through ctest"
done

arch="$(dpkg --print-architecture 2>/dev/null)" || fail "dpkg is missing: this test needs Debian"
deb_version="$VROEG_VERSION-1"
agent_deb="$VROEG_DEB_DIR/vroeg-agent_${deb_version}_${arch}.deb"
collector_deb="$VROEG_DEB_DIR/vroeg-collector_${deb_version}_${arch}.deb"
common_deb="$VROEG_DEB_DIR/vroeg-common_${deb_version}_all.deb"

# --- build ----------------------------------------------------------------------------------

# The regular files (and symbolic links) in a .deb, one per line, sorted, without the leading
# "./".
deb_files() {
  dpkg-deb --fsys-tarfile "$1" | tar -tvf - | awk '$1 !~ /^d/ { sub(/^\.\//, "", $6); print $6 }' |
    sort
}

# expect_deb_files DEB FILE... : exactly these files, nothing else (dpkg refuses to install
# two packages that own the same file, and a stray file would be a packaging mistake).
expect_deb_files() {
  local deb="$1"
  shift
  local expected actual
  expected="$(printf '%s\n' "$@" | sort)"
  actual="$(deb_files "$deb")"
  [ "$actual" = "$expected" ] ||
    fail "$(basename "$deb") holds:"$'\n'"$actual"$'\n'"expected:"$'\n'"$expected"
}

# expect_control_script DEB NAME : a maintainer script, executable, valid POSIX sh.
expect_control_script() {
  local deb="$1" name="$2" listing
  listing="$(dpkg-deb --ctrl-tarfile "$deb" | tar -tvf - | awk -v n="./$name" '$6 == n')"
  [ -n "$listing" ] || fail "$(basename "$deb") has no $name"
  case "$listing" in
    -rwxr-xr-x*) ;;
    *) fail "$(basename "$deb"): $name is not mode 0755: $listing" ;;
  esac
  dpkg-deb -I "$deb" "$name" | sh -n || fail "$(basename "$deb"): $name is not valid sh"
}

# expect_same_file PACKAGED SOURCE : the package ships the file from the source tree as is.
expect_same_file() {
  cmp -s "$1" "$2" || fail "$1 differs from $2"
}

# expect_version BINARY EXPECTED_OUTPUT: BINARY --version prints exactly that.
expect_version() {
  local out
  out="$("$1" --version 2>&1)" || fail "$1 --version failed: $out"
  expect_eq "$1 --version" "$out" "$2"
}

# MemoryDenyWriteExecute= in the units forbids executable stacks: the loader could not map one.
expect_no_exec_stack() {
  command -v readelf >/dev/null || {
    note "readelf not found; executable-stack check of $1 skipped"
    return 0
  }
  local stack
  stack="$(readelf -lW "$1" | awk '$1 == "GNU_STACK" { print $7 }')"
  expect_eq "$1: GNU_STACK flags" "$stack" "RW"
}

run_build() {
  local cpack="${VROEG_CPACK:-cpack}"
  command -v dpkg-deb >/dev/null || fail "dpkg-deb is missing"
  # Without dpkg-shlibdeps cpack still succeeds, but with no library dependencies at all.
  command -v dpkg-shlibdeps >/dev/null ||
    fail "dpkg-shlibdeps is missing: install dpkg-dev (scripts/test.sh does)"
  [ -f "$VROEG_BINARY_DIR/CPackConfig.cmake" ] ||
    fail "$VROEG_BINARY_DIR/CPackConfig.cmake is missing; was cmake/VroegPackaging.cmake included?"

  rm -rf "$VROEG_DEB_DIR"
  mkdir -p "$VROEG_DEB_DIR" || fail "cannot create $VROEG_DEB_DIR"
  # cpack first builds the generator's "preinstall" target; for Makefiles that is the whole
  # tree, in the middle of the test run. ctest runs after the build, so the test packages what
  # is built: Ninja (what scripts/test.sh uses) has no preinstall step, and naming it here
  # skips the step for Makefile trees too. Nothing else in cpack depends on the generator.
  note "cpack -G DEB into $VROEG_DEB_DIR"
  local log="$VROEG_DEB_DIR/cpack.log"
  if ! (cd "$VROEG_BINARY_DIR" && "$cpack" -G DEB --config CPackConfig.cmake -B "$VROEG_DEB_DIR" \
    -D CPACK_CMAKE_GENERATOR=Ninja) >"$log" 2>&1; then
    cat "$log" >&2
    fail "cpack failed"
  fi
  for deb in "$agent_deb" "$collector_deb" "$common_deb"; do
    [ -f "$deb" ] || { cat "$log" >&2; fail "cpack did not produce $deb"; }
    note "$(basename "$deb"): $(stat -c %s "$deb") bytes"
  done

  expect_deb_files "$agent_deb" etc/vroeg/agent.yaml lib/systemd/system/vroeg-agent.service \
    usr/bin/vroeg-agent
  # Every dashboard and every Prometheus file of the repository, so that one added there cannot
  # be left out of the package.
  local monitoring=() file
  for file in "$VROEG_SOURCE_DIR"/dashboards/*.json; do
    monitoring+=("usr/share/vroeg/dashboards/${file##*/}")
  done
  while IFS= read -r file; do
    monitoring+=("usr/share/vroeg/prometheus/${file#"$VROEG_SOURCE_DIR"/deploy/prometheus/}")
  done < <(find "$VROEG_SOURCE_DIR/deploy/prometheus" -name '*.yml' -type f)
  expect_deb_files "$collector_deb" etc/vroeg/collector.yaml \
    lib/systemd/system/vroeg-collector.service usr/bin/vroeg-collector usr/bin/vroegctl \
    usr/share/vroeg/grafana-provisioning/dashboards.yaml \
    usr/share/vroeg/grafana-provisioning/datasources.yaml "${monitoring[@]}"
  expect_deb_files "$common_deb" usr/share/vroeg/catalogue.yaml
  # The certificate directory is vroeg-common's (empty; the postinst sets its mode).
  # (grep without -q: it reads to the end, so dpkg-deb does not die of a closed pipe.)
  dpkg-deb -c "$common_deb" | grep ' \./etc/vroeg/tls/$' >/dev/null ||
    fail "vroeg-common does not own /etc/vroeg/tls"

  local deb depends
  for deb in "$agent_deb" "$collector_deb" "$common_deb"; do
    local name="${deb##*/}"
    name="${name%%_*}"
    expect_eq "$name: Package" "$(dpkg-deb -f "$deb" Package)" "$name"
    expect_eq "$name: Version" "$(dpkg-deb -f "$deb" Version)" "$deb_version"
    [ -n "$(dpkg-deb -f "$deb" Maintainer)" ] || fail "$name has no Maintainer"
    depends="$(dpkg-deb -f "$deb" Depends)"
    note "$name Depends: $depends"
    expect_control_script "$deb" postinst
    expect_control_script "$deb" postrm
  done
  expect_eq "vroeg-common: Architecture" "$(dpkg-deb -f "$common_deb" Architecture)" all
  expect_contains "vroeg-common: Depends" "$(dpkg-deb -f "$common_deb" Depends)" passwd

  # The service packages: exactly this vroeg-common, and the libraries dpkg-shlibdeps found.
  for deb in "$agent_deb" "$collector_deb"; do
    local name="${deb##*/}"
    name="${name%%_*}"
    depends="$(dpkg-deb -f "$deb" Depends)"
    expect_eq "$name: Architecture" "$(dpkg-deb -f "$deb" Architecture)" "$arch"
    expect_contains "$name: Depends" "$depends" "vroeg-common (= $deb_version)"
    expect_contains "$name: Depends" "$depends" "libc6 ("
    expect_contains "$name: Depends" "$depends" "libssl3"
    # /metrics, plain and HTTPS (metrics_security).
    expect_contains "$name: Depends" "$depends" "libmicrohttpd12"
    expect_control_script "$deb" prerm
  done
  depends="$(dpkg-deb -f "$collector_deb" Depends)"
  for library in libgrpc++ libprotobuf libsqlite3-0; do
    expect_contains "vroeg-collector: Depends" "$depends" "$library"
  done
  # gRPC, protobuf, Abseil and yaml-cpp are linked into the agent (VROEG_AGENT_STATIC_GRPC in
  # agent/CMakeLists.txt); a Depends on them would mean the binary still loads them.
  depends="$(dpkg-deb -f "$agent_deb" Depends)"
  for library in libgrpc++ libprotobuf libabsl libyaml-cpp; do
    if [ "$VROEG_AGENT_STATIC_GRPC" = ON ]; then
      expect_lacks "vroeg-agent: Depends" "$depends" "$library"
    else
      expect_contains "vroeg-agent: Depends" "$depends" "$library"
    fi
  done
  # The agent's ExecReload runs /bin/kill.
  expect_contains "vroeg-agent: Depends" "$(dpkg-deb -f "$agent_deb" Depends)" procps

  # The example configurations are conffiles: an upgrade keeps the admin's edits.
  expect_eq "vroeg-agent conffiles" "$(dpkg-deb -I "$agent_deb" conffiles)" /etc/vroeg/agent.yaml
  expect_eq "vroeg-collector conffiles" "$(dpkg-deb -I "$collector_deb" conffiles)" \
    /etc/vroeg/collector.yaml

  # The packaged files are the ones in the source tree, and the binaries run.
  local root="$VROEG_DEB_DIR/root"
  for deb in "$agent_deb" "$collector_deb" "$common_deb"; do
    dpkg-deb -x "$deb" "$root" || fail "cannot unpack $deb"
  done
  expect_same_file "$root/etc/vroeg/agent.yaml" "$VROEG_SOURCE_DIR/deploy/config/agent.yaml"
  expect_same_file "$root/etc/vroeg/collector.yaml" \
    "$VROEG_SOURCE_DIR/deploy/config/collector.yaml"
  expect_same_file "$root/usr/share/vroeg/catalogue.yaml" \
    "$VROEG_SOURCE_DIR/deploy/catalogue/catalogue.yaml"
  while IFS= read -r file; do
    expect_same_file "$root/usr/share/vroeg/prometheus/${file#"$VROEG_SOURCE_DIR"/deploy/prometheus/}" \
      "$file"
  done < <(find "$VROEG_SOURCE_DIR/deploy/prometheus" -name '*.yml' -type f)
  for file in "$VROEG_SOURCE_DIR"/dashboards/*.json; do
    expect_same_file "$root/usr/share/vroeg/dashboards/${file##*/}" "$file"
  done
  for unit in vroeg-agent.service vroeg-collector.service; do
    expect_same_file "$root/lib/systemd/system/$unit" "$VROEG_SOURCE_DIR/deploy/systemd/$unit"
  done
  expect_version "$root/usr/bin/vroeg-agent" "vroeg-agent $VROEG_VERSION"
  expect_version "$root/usr/bin/vroeg-collector" "vroeg-collector $VROEG_VERSION"
  "$root/usr/bin/vroegctl" --help >/dev/null 2>&1 || fail "vroegctl --help failed"
  for binary in vroeg-agent vroeg-collector vroegctl; do
    expect_no_exec_stack "$root/usr/bin/$binary"
  done
  rm -rf "$root"
  note "packages are complete"
}

# --- install --------------------------------------------------------------------------------

# dpkg's status of a package: "" when dpkg has never heard of it (or it is fully purged).
package_status() {
  dpkg-query -W -f='${db:Status-Abbrev}' "$1" 2>/dev/null | tr -d ' '
}

# mode_of PATH: "owner:group mode", e.g. "vroeg:vroeg 750".
mode_of() {
  stat -c '%U:%G %a' "$1" 2>/dev/null || echo missing
}

# Runs a command as the service user, from a directory it may enter, as systemd would.
as_vroeg() {
  (cd / && runuser -u vroeg -- "$@")
}

work=""
had_user=0
had_group=0
cleanup() {
  local pkg
  for pkg in "${PACKAGES[@]}"; do
    if [ -n "$(package_status "$pkg")" ]; then
      dpkg --purge "$pkg" >/dev/null 2>&1 || echo "cleanup: dpkg --purge $pkg failed" >&2
    fi
  done
  # These did not exist before the test (checked before this trap was set), so whatever is
  # left of them is the test's.
  rm -rf /etc/vroeg /var/lib/vroeg
  if [ "$had_user" = 0 ] && getent passwd vroeg >/dev/null; then userdel vroeg; fi
  if [ "$had_group" = 0 ] && getent group vroeg >/dev/null; then groupdel vroeg; fi
  if [ -n "$work" ]; then rm -rf "$work"; fi
}

run_install() {
  if [ "$VROEG_SANITIZE" = ON ]; then
    echo "skipped: a sanitizer build's binaries are not for installing" \
      "(the normal build's run installs the packages)"
    exit "$SKIP"
  fi
  if [ "$(id -u)" != 0 ]; then
    echo "skipped: installing packages needs root"
    exit "$SKIP"
  fi
  if ! command -v apt-get >/dev/null || ! command -v dpkg >/dev/null; then
    echo "skipped: apt-get and dpkg are needed to install packages"
    exit "$SKIP"
  fi

  # This test installs and purges: it must not do that to a real installation.
  local pkg status path
  for pkg in "${PACKAGES[@]}"; do
    status="$(package_status "$pkg")"
    [ -z "$status" ] || [ "$status" = un ] ||
      fail "$pkg is already on this machine (dpkg status '$status'); this test installs and" \
        "purges the packages, so it will not run here. Remove it (dpkg --purge $pkg) or run" \
        "the test on another machine."
  done
  for path in /etc/vroeg /var/lib/vroeg /lib/systemd/system/vroeg-agent.service \
    /lib/systemd/system/vroeg-collector.service /usr/bin/vroeg-agent /usr/bin/vroeg-collector \
    /usr/bin/vroegctl /usr/share/vroeg; do
    [ ! -e "$path" ] ||
      fail "$path exists although no vroeg package is installed; this test would overwrite" \
        "or remove it, so it will not run here. Move it away first."
  done
  getent passwd vroeg >/dev/null && had_user=1
  getent group vroeg >/dev/null && had_group=1
  work="$(mktemp -d)" || fail "mktemp failed"
  trap cleanup EXIT

  # apt-get rather than dpkg -i: it also checks that the Depends can be met (here from the
  # packages already installed; nothing needs downloading on a machine that built the tree).
  note "installing ${PACKAGES[*]}"
  local out
  out="$(DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends \
    "$common_deb" "$agent_deb" "$collector_deb" 2>&1)" || {
    printf '%s\n' "$out" >&2
    fail "apt-get install failed"
  }
  for pkg in "${PACKAGES[@]}"; do
    expect_eq "$pkg status" "$(package_status "$pkg")" ii
  done
  # Not started: there are no certificates yet. The postinst says what to do instead.
  expect_contains "vroeg-agent postinst" "$out" "systemctl enable --now vroeg-agent"
  expect_contains "vroeg-collector postinst" "$out" "systemctl enable --now vroeg-collector"

  # The system user: no login, home in the state directory.
  local entry
  entry="$(getent passwd vroeg)" || fail "user vroeg was not created"
  IFS=: read -r _ _ uid gid _ home shell <<<"$entry"
  [ "$uid" -lt 1000 ] || fail "user vroeg is not a system user (uid $uid)"
  expect_eq "vroeg's group" "$(getent group "$gid" | cut -d: -f1)" vroeg
  expect_eq "vroeg's home" "$home" /var/lib/vroeg
  expect_eq "vroeg's shell" "$shell" /usr/sbin/nologin

  # Directories: configuration readable by the group, state private, drop folder writable by
  # the group and set-group-ID.
  expect_eq /etc/vroeg "$(mode_of /etc/vroeg)" "root:vroeg 750"
  expect_eq /etc/vroeg/tls "$(mode_of /etc/vroeg/tls)" "root:vroeg 750"
  expect_eq /var/lib/vroeg "$(mode_of /var/lib/vroeg)" "vroeg:vroeg 750"
  expect_eq /var/lib/vroeg/agent "$(mode_of /var/lib/vroeg/agent)" "vroeg:vroeg 750"
  expect_eq /var/lib/vroeg/agent/spool "$(mode_of /var/lib/vroeg/agent/spool)" "vroeg:vroeg 700"
  expect_eq /var/lib/vroeg/agent/drop "$(mode_of /var/lib/vroeg/agent/drop)" "vroeg:vroeg 2770"
  expect_contains "vroeg-agent conffiles" "$(dpkg-query -W -f='${Conffiles}' vroeg-agent)" \
    /etc/vroeg/agent.yaml
  expect_contains "vroeg-collector conffiles" \
    "$(dpkg-query -W -f='${Conffiles}' vroeg-collector)" /etc/vroeg/collector.yaml

  # Installing again (as an upgrade does) keeps the admin's edits of a conffile and the modes
  # the postinst set, and does not repeat the first-install message.
  echo "# edited by the admin" >>/etc/vroeg/agent.yaml
  out="$(dpkg --force-confold -i "$agent_deb" 2>&1)" || {
    printf '%s\n' "$out" >&2
    fail "installing vroeg-agent again failed"
  }
  expect_eq "agent.yaml after installing again" "$(tail -n 1 /etc/vroeg/agent.yaml)" \
    "# edited by the admin"
  case "$out" in
    *"systemctl enable --now"*) fail "installing again repeated the first-install message" ;;
  esac
  expect_eq "/etc/vroeg after installing again" "$(mode_of /etc/vroeg)" "root:vroeg 750"
  expect_eq "drop folder after installing again" "$(mode_of /var/lib/vroeg/agent/drop)" \
    "vroeg:vroeg 2770"

  # The installed binaries, on the library versions the Depends name.
  expect_version /usr/bin/vroeg-agent "vroeg-agent $VROEG_VERSION"
  expect_version /usr/bin/vroeg-collector "vroeg-collector $VROEG_VERSION"
  out="$(vroegctl --help 2>&1)" || fail "vroegctl --help failed: $out"
  expect_contains "vroegctl --help" "$out" "pki"

  # The shipped configurations are valid where they are installed, read as the service user.
  out="$(as_vroeg /usr/bin/vroeg-agent run --validate-config \
    --config /etc/vroeg/agent.yaml 2>&1)" ||
    fail "the installed agent.yaml does not validate: $out"
  expect_eq "agent --validate-config" "$out" "/etc/vroeg/agent.yaml: configuration is valid"
  out="$(as_vroeg /usr/bin/vroeg-collector --validate-config \
    --config /etc/vroeg/collector.yaml 2>&1)" ||
    fail "the installed collector.yaml does not validate: $out"
  expect_eq "collector --validate-config" "$out" \
    "/etc/vroeg/collector.yaml: configuration is valid"

  # Started as the unit starts them, before any certificate is in place, both refuse with the
  # file they miss (exit 2 for the agent, 1 for the collector), before touching any state.
  # timeout: should one of them start after all, the test fails instead of hanging.
  local rc
  out="$(as_vroeg timeout 30 /usr/bin/vroeg-agent run --config /etc/vroeg/agent.yaml 2>&1)"
  rc=$?
  expect_eq "agent without certificates: exit code" "$rc" 2
  expect_contains "agent without certificates" "$out" \
    "vroeg-agent: error: tls.certificate: cannot read /etc/vroeg/tls/agent.crt"
  out="$(as_vroeg timeout 30 /usr/bin/vroeg-collector --config /etc/vroeg/collector.yaml 2>&1)"
  rc=$?
  expect_eq "collector without certificates: exit code" "$rc" 1
  expect_contains "collector without certificates" "$out" \
    "vroeg-collector: error: tls.certificate: cannot read /etc/vroeg/tls/server.crt"
  expect_eq "spool after a failed start" "$(ls -A /var/lib/vroeg/agent/spool)" ""
  [ ! -e /var/lib/vroeg/collector.db ] || fail "the collector made a database without starting"

  # `vroeg-agent check` finds the catalogue at its default path, from vroeg-common.
  printf 'period_start,period_end,care_form,municipality,indicator,value\n%s\n' \
    "2025-09-01,2025-09-30,verblijf,GM0034,wachtenden,12" >"$work/export.csv"
  out="$(/usr/bin/vroeg-agent check --reporter urn:vroeg:provider:12345678 \
    "$work/export.csv" 2>&1)" ||
    fail "vroeg-agent check with the installed catalogue failed: $out"
  expect_contains "vroeg-agent check" "$out" "valid: 1 observation"

  # The units as installed: systemd-analyze checks the syntax, the binaries and the user.
  if command -v systemd-analyze >/dev/null; then
    for unit in vroeg-agent.service vroeg-collector.service; do
      out="$(systemd-analyze verify "/lib/systemd/system/$unit" 2>&1)" ||
        fail "systemd-analyze verify $unit: $out"
      # Complaints about the machine (no running systemd in a container) are not the unit's.
      if grep -q vroeg <<<"$out"; then fail "systemd-analyze verify $unit: $out"; fi
      if [ -z "$out" ]; then
        note "systemd-analyze verify $unit: clean"
      else
        note "systemd-analyze verify $unit (not about the unit): $out"
      fi
      # The hardening as systemd scores it (0 best, 10 worst); both units score 1.7 today.
      # Above 2.0 means an option was lost.
      out="$(systemd-analyze security --offline=true --threshold=20 \
        "/lib/systemd/system/$unit" 2>&1)" ||
        fail "systemd-analyze security $unit: exposure above 2.0:"$'\n'"$out"
      note "$(grep -i 'overall exposure' <<<"$out" | tr -cd '[:print:]')"
    done
  else
    note "systemd-analyze not found (install systemd): units not verified"
  fi

  # Purge the agent with a file waiting in its drop folder: the purge keeps it and says so; the
  # empty spool goes.
  echo "keep me" >/var/lib/vroeg/agent/drop/waiting.csv
  out="$(dpkg --purge vroeg-agent 2>&1)" || {
    printf '%s\n' "$out" >&2
    fail "dpkg --purge vroeg-agent failed"
  }
  expect_contains "vroeg-agent purge" "$out" "/var/lib/vroeg/agent/drop is not empty and was left"
  expect_eq "kept drop file" "$(cat /var/lib/vroeg/agent/drop/waiting.csv)" "keep me"
  [ ! -e /var/lib/vroeg/agent/spool ] || fail "the empty spool survived the purge"
  # What the message asks the admin to do; then the rest purges without leaving anything.
  rm -r /var/lib/vroeg/agent
  out="$(dpkg --purge vroeg-collector vroeg-common 2>&1)" || {
    printf '%s\n' "$out" >&2
    fail "dpkg --purge vroeg-collector vroeg-common failed"
  }
  for pkg in "${PACKAGES[@]}"; do
    expect_eq "$pkg status after purge" "$(package_status "$pkg")" ""
  done
  for path in /etc/vroeg /var/lib/vroeg /usr/share/vroeg \
    /lib/systemd/system/vroeg-agent.service /lib/systemd/system/vroeg-collector.service \
    /usr/bin/vroeg-agent /usr/bin/vroeg-collector /usr/bin/vroegctl \
    /var/lib/systemd/deb-systemd-helper-enabled/vroeg-agent.service.dsh-also \
    /var/lib/systemd/deb-systemd-helper-enabled/vroeg-collector.service.dsh-also; do
    [ ! -e "$path" ] || fail "$path is still there after the purge"
  done
  # The user stays after a purge (Debian's rule for system users); cleanup removes the test's.
  getent passwd vroeg >/dev/null || fail "the purge removed user vroeg"
  note "installed, exercised and purged"
}

case "${1:-}" in
  build) run_build ;;
  install) run_install ;;
  *) fail "usage: $0 build|install" ;;
esac
