# shellcheck shell=sh
# The prerequisite check, run by every directory apply before it changes anything: the snap
# is installed (its profiles exist), snapd is new enough and which rule it writes, AppArmor
# is enabled or not, how the live bind can be applied. Read-only.

prerequisites_check() {
  refuse_symlinked_shm
  read_snapd_version
  version=$host_snapd_version
  case $version in
    "") note "snapd's version is unknown here (no /usr/lib/snapd/info, no snap command): the newest rules are assumed" ;;
    [0-9]*[!A-Za-z0-9.+~:-]* | [!0-9]*) die "snapd reports an unreadable version \"$version\"" ;;
  esac
  found_string_or_null snapdVersion "$version"
  [ "$host_rule_generation" != none ] ||
    die "snapd $version has no private shared memory: it needs snapd $FIRST_PRIVATE_SHM_VERSION or newer"
  found ruleGeneration "\"$host_rule_generation\""

  names=""
  for path in "$SNAPD_PROFILE_DIR/snap.$instance".*; do
    case $path in *~ | *"snap.$instance.*") continue ;; esac
    names="$names ${path##*/}"
  done
  # shellcheck disable=SC2086 # names without spaces
  json_list $names
  found profiles "$json"
  [ -n "$names" ] ||
    die "snap $instance is not installed on this host: no profiles $SNAPD_PROFILE_DIR/snap.$instance.*"
  [ -f "$SNAPD_PROFILE_DIR/snap-update-ns.$instance" ] ||
    die "no $SNAPD_PROFILE_DIR/snap-update-ns.$instance: snapd has not set up snap $instance"
  missing=""
  set -f
  # shellcheck disable=SC2086 # the list is words
  set -- ${arg_profiles-}
  set +f
  for wanted in "$@"; do
    case $wanted in *"*") continue ;; esac
    [ -f "$SNAPD_PROFILE_DIR/$wanted" ] || missing="$missing $wanted"
  done
  [ -z "$missing" ] || die "snap $instance has no profile$missing in $SNAPD_PROFILE_DIR: check its app and hook names"

  if [ -d "$APPARMOR_SECURITYFS" ]; then found apparmor '"enabled"'; else found apparmor '"disabled"'; fi
  find_program apparmor_parser
  found_string_or_null apparmorParser "$program_path"
  snap_update_ns
  found_string_or_null snapUpdateNs "$tool"
  if namespace_preserved; then found namespace '"preserved"'; else found namespace '"none"'; fi
}
