# shellcheck shell=sh
# snapd's version on this host, and what it decides: whether snapd has private shared
# memory at all, and which app rule it writes (`generation=auto`).

FIRST_PRIVATE_SHM_VERSION=2.55.3
RECURSIVE_RULE_VERSION=2.60.2

# version_below THRESHOLD: true when $host_snapd_version sorts before THRESHOLD (N.N.N),
# by version_order (the shell decides the usual versions, without a process). The tests hold
# it to src/model/snapd-version.ts.
version_below() {
  version_order "$host_snapd_version" "$1"
  [ "$order" -lt 0 ]
}

# read_snapd_version: sets $host_snapd_version to the version of the snapd that runs here
# (find_snapd: its info file, read by the shell), or `snap version`'s, empty when neither
# tells; and $host_rule_generation: `none` (snapd has no private shared memory),
# `single-level` or `recursive` (also for an unknown version).
# Once per run: `snap version` may wait on a daemon that does not answer.
read_snapd_version() {
  [ -z "${host_rule_generation-}" ] || return 0
  find_snapd
  host_snapd_version=$snapd_info_version
  if [ -z "$host_snapd_version" ] && command -v snap >/dev/null 2>&1; then
    # The client asks the daemon too, and waits long for one that does not answer.
    host_snapd_version=$(timeout 10 snap version 2>/dev/null | awk '$1 == "snapd" { print $2; exit }')
  fi
  if [ -z "$host_snapd_version" ]; then
    host_rule_generation=recursive
  elif version_below "$FIRST_PRIVATE_SHM_VERSION"; then
    host_rule_generation=none
  elif version_below "$RECURSIVE_RULE_VERSION"; then
    host_rule_generation=single-level
  else
    host_rule_generation=recursive
  fi
}

# resolve_generation: with `generation=auto`, sets arg_app_snippet to the snippet snapd on
# this host writes (single-level before RECURSIVE_RULE_VERSION, recursive from it on or when
# the version is unknown), read when the operation runs, so a snapd upgraded since the last
# apply gets its own rule.
resolve_generation() {
  case ${arg_generation-} in
    auto)
      read_snapd_version
      if [ "$host_rule_generation" = recursive ]; then
        arg_app_snippet=${arg_app_snippet_recursive-}
      else
        arg_app_snippet=${arg_app_snippet_single_level-}
      fi
      ;;
    single-level | recursive | "") ;;
    *) die "argument generation is \"$arg_generation\"; it must be auto, single-level or recursive" ;;
  esac
}
