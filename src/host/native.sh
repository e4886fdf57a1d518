# shellcheck shell=sh
# Native mode: the host's snapd has private shared memory and the snap declares a private
# shared-memory plug, so snapd does the work. snap-shm makes sure the plug is connected,
# checks that snapd's artifacts are in place, repairs what snapd never repairs (a private
# directory left with the wrong mode) and takes back what managed mode had added; it never
# writes snapd's own rules or entries.

# native_connected: a shared-memory plug of the instance is connected to the system's slot.
# (A private plug cannot sit beside another shared-memory plug, so it is that one.)
native_connected() {
  # The snap client waits for a snapd that does not answer: not for long here.
  timeout 30 snap connections "$instance" 2>/dev/null |
    awk -v snap="$instance:" '$1 == "shared-memory" && index($2, snap) == 1 && $3 == ":shared-memory" { found = 1 } END { exit !found }'
}

native_args() {
  command -v snap >/dev/null 2>&1 || die "native mode needs snapd's snap command, and this host has none"
}

# native_rule_missing PROFILE: the first rule of snapd's snippet for PROFILE that it lacks
# (compared without indentation, comments skipped); empty when it has them all.
# shellcheck disable=SC2016 # awk source, not shell
native_rule_missing() {
  apparmor_body "${1##*/}"
  RULES=$body awk '
    function trim(s) { sub(/^[ \t]+/, "", s); sub(/[ \t]+$/, "", s); return s }
    { have[trim($0)] = 1 }
    END {
      n = split(ENVIRON["RULES"], want, "\n")
      for (i = 1; i <= n; i++) {
        rule = trim(want[i])
        if (rule == "" || rule ~ /^#/) continue
        if (!(rule in have)) { printf "%s", rule; exit }
      }
    }' "$1"
}

# native_has_block PROFILE: the profile still holds the block managed mode added.
native_has_block() {
  grep -q -e "$BLOCK_BEGIN_LINE" "$1"
}

native_directory_apply() {
  directory_args
  refuse_symlinked_shm
  lock_instance
  directory_facts
  case $dir_type in
    symlink | file) die "refusing $dir_path: it is a $dir_type, not a directory (snapd would silently fall back to the shared /dev/shm); move it away and apply again" ;;
    missing) note "$dir_path does not exist yet: snapd creates it when the snap next builds its namespace" ;;
    directory) directory_repair ;;
  esac
  if [ -f "$tmpfiles_path" ]; then
    rm -f "$tmpfiles_path" || die "cannot remove $tmpfiles_path"
    changed "removed $tmpfiles_path (snapd creates the directory in native mode)"
  fi
}

native_directory_probe() {
  directory_args
  directory_facts
  differs=""
  case $dir_type in
    directory)
      [ "$dir_mode" = 1777 ] || differs="$differs mode=$dir_mode"
      [ "$dir_owner:$dir_group" = root:root ] || differs="$differs owner=$dir_owner:$dir_group"
      ;;
    missing) namespace_preserved && differs="type=missing" ;;
    *) differs="type=$dir_type" ;;
  esac
  # shellcheck disable=SC2086 # words
  report_probe $differs
}

native_apparmor_apply() {
  apparmor_args
  need "${arg_plug-}" plug
  # snapd's rule for plug names: ^[a-z](?:-?[a-z0-9])*$
  case $arg_plug in
    [a-z]*) ;;
    *) bad_name "invalid plug name: " "$arg_plug" ;;
  esac
  case $arg_plug in *[!a-z0-9-]* | *- | *--*) bad_name "invalid plug name: " "$arg_plug" ;; esac
  native_args
  lock_instance
  if native_connected; then
    found connection '"connected"'
  else
    found connection '"disconnected"'
    if ! output=$(timeout 120 snap connect "$instance:$arg_plug" :shared-memory 2>&1); then
      die "snap connect $instance:$arg_plug :shared-memory failed: $output"
    fi
    changed "connected $instance:$arg_plug to :shared-memory"
  fi
  # What managed mode had added goes, from every profile of the instance (listed or not):
  # snapd's own rules serve now.
  for name in $profile_names; do
    path=$SNAPD_PROFILE_DIR/$name
    [ -f "$path" ] || die "cannot find $path: is snap $instance installed, with that app or hook?"
  done
  edit_out_blocks
  other_targets=
  # shellcheck disable=SC2086 # words
  replace_files "removed the snap-shm block (snapd's rules serve in native mode) from" $pending
  for name in $profile_names; do
    missing=$(native_rule_missing "$SNAPD_PROFILE_DIR/$name")
    [ -z "$missing" ] ||
      die "snapd's private-shm rule '$missing' is missing from $SNAPD_PROFILE_DIR/$name although the plug is connected; snap-shm does not write snapd's rules in native mode (use mode managed)"
  done
}

native_apparmor_probe() {
  apparmor_args
  native_args
  differs=""
  native_connected || differs="connection=disconnected"
  for name in $profile_names; do
    path=$SNAPD_PROFILE_DIR/$name
    if [ ! -f "$path" ]; then
      differs="$differs $name=missing-profile"
    elif native_has_block "$path"; then
      differs="$differs $name=managed-block"
    elif [ -n "$(native_rule_missing "$path")" ]; then
      differs="$differs $name=missing"
    fi
  done
  # shellcheck disable=SC2086 # words
  report_probe $differs
}

native_mount_apply() {
  mount_args
  refuse_symlinked_shm
  lock_instance
  state=$(fstab_edit check "$profile" "$entry")
  found entry "\"$state\""
  [ "$state" = present ] ||
    die "snapd's mount profile $profile lacks \"$entry\" (it has: $state) although the plug is connected; snap-shm does not write it in native mode (use mode managed)"
  mount_live_state
  found namespace "\"$live\""
  [ "$live" = unbound ] || return 0
  snap_update_ns
  [ -n "$tool" ] || die "the snap's namespace lacks the bind and this host has no snap-update-ns to apply snapd's profile"
  run_snap_update_ns "$tool"
  namespace_shm_root
  [ "$shm_root" = "/snap.$instance" ] || die "/dev/shm in $ns_file is still not a bind of /dev/shm/snap.$instance after snap-update-ns"
  changed "bound /dev/shm/snap.$instance over /dev/shm in $ns_file by $tool (snapd's profile)"
}

native_mount_probe() {
  mount_args
  state=$(fstab_edit check "$profile" "$entry")
  mount_live_state
  differs=""
  [ "$state" = present ] || differs="entry=$state"
  [ "$live" != unbound ] || differs="$differs namespace=unbound"
  # shellcheck disable=SC2086 # words
  report_probe $differs
}

# native_remove: native mode leaves snapd's connection and files as they are.
native_remove() {
  note "native mode: snapd's connection and files are left as they are"
}
