# shellcheck shell=sh
# The bind mount: the entry in snapd's desired mount profile (persistent), and the live bind
# inside the snap's preserved namespace, applied and undone by snapd's own snap-update-ns.
# Never the host's own /dev/shm.

# The mount profile edit, in awk (the same rules as src/render/fstab.ts, which the tests hold
# it to). Environment: SNAP_SHM_MODE add|remove|check, SNAP_SHM_ENTRY. add and remove print
# the new text; check prints present, missing, duplicated or conflict. add exits 2 when
# another entry mounts on the same target.
# shellcheck disable=SC2016 # awk source, not shell
FSTAB_ENTRY_AWK='
function trim(s) { sub(/^[ \t\r\f\v]+/, "", s); sub(/[ \t\r\f\v]+$/, "", s); return s }
function fields(s, f,    t, k) {
  t = trim(s)
  if (t == "" || substr(t, 1, 1) == "#") return 0
  k = split(t, f, /[ \t\r\f\v]+/)
  while (k < 6) f[++k] = "0"
  return k
}
BEGIN { RS = "\001" }
{ text = text (NR > 1 ? RS : "") $0 }
END {
  mode = ENVIRON["SNAP_SHM_MODE"]; entry = ENVIRON["SNAP_SHM_ENTRY"]
  if (fields(entry, want) != 6 || index(entry, "\n")) { print "not a single fstab entry: " entry > "/dev/stderr"; exit 2 }
  n = split(text, line, "\n")
  terminated = (n == 0 || line[n] == "")
  if (terminated && n > 0) n--
  matches = 0; conflict = ""
  for (i = 1; i <= n; i++) {
    k = fields(line[i], f)
    same = (k == 6)
    for (j = 1; same && j <= 6; j++) if (f[j] != want[j]) same = 0
    if (same) { cut[i] = (mode == "remove" || matches > 0); matches++ }
    else if (k && f[2] == want[2] && conflict == "") conflict = line[i]
  }
  if (mode == "check") {
    if (conflict != "") print "conflict"
    else if (matches == 0) print "missing"
    else if (matches > 1) print "duplicated"
    else print "present"
    exit 0
  }
  if (mode == "add" && conflict != "") { print "another entry already mounts on " want[2] ": " conflict > "/dev/stderr"; exit 2 }
  if (mode == "add" && matches == 0) {
    if (n == 0) printf "%s\n", entry
    else if (terminated) printf "%s%s\n", text, entry
    else printf "%s\n%s", text, entry
    exit 0
  }
  out = ""
  for (i = 1; i <= n; i++) if (!cut[i]) out = out line[i] (i < n || terminated ? "\n" : "")
  if (!terminated && cut[n] && substr(out, length(out)) == "\n") out = substr(out, 1, length(out) - 1)
  printf "%s", out
}'

# fstab_edit MODE FILE ENTRY: runs the entry edit on FILE (a missing FILE reads as empty).
fstab_edit() {
  if [ -e "$2" ]; then
    SNAP_SHM_MODE=$1 SNAP_SHM_ENTRY=$3 awk "$FSTAB_ENTRY_AWK" "$2"
  else
    SNAP_SHM_MODE=$1 SNAP_SHM_ENTRY=$3 awk "$FSTAB_ENTRY_AWK" </dev/null
  fi
}

mount_args() {
  need "${arg_profile-}" profile
  need "${arg_entry-}" entry
  expect profile "$arg_profile" "$SNAPD_MOUNT_DIR/snap.$instance.fstab"
  expect entry "$arg_entry" "/dev/shm/snap.$instance /dev/shm none bind,rw 0 0"
  profile=$arg_profile
  entry=$arg_entry
  ns_file="$SNAPD_NS_DIR/$instance.mnt"
  record="$SNAPD_NS_DIR/snap.$instance.fstab"
}

# namespace_shm_root: sets $shm_root to the mountinfo root of the top /dev/shm mount inside
# the namespace (the mount no other /dev/shm mount sits on). The namespace's mount table is
# read first, its status checked: a namespace nsenter cannot enter (a policy refusing setns,
# a base without cat) fails the run, naming it, rather than reading as "unbound". In
# variables, not in a subshell: a failure here ends the run with its message in the result.
# The table is read by the shell, split once into lines (mountinfo escapes the blanks in
# paths, so fields are words): no process beyond the one that reads it.
namespace_shm_root() {
  # One run: on a failure its output is nsenter's message (its mount table goes nowhere).
  if ! ns_mountinfo=$(nsenter --mount="$ns_file" cat /proc/self/mountinfo 2>&1); then
    die "cannot read the mounts inside the snap's namespace $ns_file: ${ns_mountinfo:-nsenter failed}"
  fi
  # Each /dev/shm mount as "ID ROOT", the last first, and the IDs they sit on.
  shm_mounts=""
  shm_parents=" "
  saved_ifs=$IFS
  set -f
  IFS=$NEWLINE
  for line in $ns_mountinfo; do
    case $line in *" /dev/shm "*) ;; *) continue ;; esac
    IFS=" "
    # shellcheck disable=SC2086 # the fields are words
    set -- $line
    IFS=$NEWLINE
    if [ $# -lt 5 ] || [ "$5" != /dev/shm ]; then continue; fi
    shm_mounts="$1 $4$NEWLINE$shm_mounts"
    shm_parents="$shm_parents$2 "
  done
  IFS=$saved_ifs
  set +f
  shm_root=""
  while [ -n "$shm_mounts" ]; do
    mount_line=${shm_mounts%%"$NEWLINE"*}
    shm_mounts=${shm_mounts#*"$NEWLINE"}
    case $shm_parents in *" ${mount_line%% *} "*) continue ;; esac
    shm_root=${mount_line#* }
    break
  done
}

# mount_live_state: sets $live to none (no preserved namespace), bound or unbound.
mount_live_state() {
  live=none
  namespace_preserved || return 0
  namespace_shm_root
  live=unbound
  [ "$shm_root" != "/snap.$instance" ] || live=bound
}

# run_snap_update_ns: lets snapd's own tool apply the desired profile to the namespace.
run_snap_update_ns() {
  if ! output=$("$1" "$instance" 2>&1); then
    die "$1 $instance failed: $output"
  fi
}

mount_apply() {
  mount_args
  refuse_symlinked_shm
  [ -d "$SNAPD_MOUNT_DIR" ] || die "no $SNAPD_MOUNT_DIR on this host: is snapd installed?"
  lock_instance
  # An entry in place is only read: no temporary file beside it, no file time changed.
  if [ -e "$profile" ] && [ "$(fstab_edit check "$profile" "$entry")" = present ]; then
    found entry '"present"'
  else
    found entry '"missing"'
    # snapd writes this file too (layouts, content): its state is taken before the read, and
    # compared before ours replaces it, so a rewrite in between is never lost under ours.
    record_target "$profile"
    new_temp "$profile"
    temps=$temp
    if ! reason=$(fstab_edit add "$profile" "$entry" 2>&1 >"$temp"); then
      die "cannot add the entry to $profile: ${reason:-awk failed}; the file is left as it is"
    fi
    replace_file "$profile" "$temp" 0644 checked || return 0
    changed "added \"$entry\" to $profile"
  fi
  mount_live_state
  found namespace "\"$live\""
  [ "$live" = unbound ] || return 0
  snap_update_ns
  if [ -n "$tool" ]; then
    run_snap_update_ns "$tool"
    how="by $tool"
  else
    # No snap-update-ns: bind by hand and record it in the same step, as snapd would.
    nsenter --mount="$ns_file" mount --bind "/dev/shm/snap.$instance" /dev/shm ||
      die "cannot bind /dev/shm/snap.$instance over /dev/shm in $ns_file"
    new_temp "$record"
    fstab_edit add "$record" "$entry" >"$temp" || die "cannot record the bind in $record"
    replace_file "$record" "$temp" 0644
    how="by hand (no snap-update-ns), recorded in $record"
  fi
  namespace_shm_root
  if [ "$shm_root" != "/snap.$instance" ]; then
    if [ -n "$tool" ] && [ "$(fstab_edit check "$record" "$entry")" = present ]; then
      die "/dev/shm in $ns_file is not a bind of /dev/shm/snap.$instance, yet snapd's record $record says it is: the namespace and its record disagree; let snapd rebuild it (snap-discard-ns $instance) and apply again"
    fi
    die "/dev/shm in $ns_file is still not a bind of /dev/shm/snap.$instance after applying the profile"
  fi
  changed "bound /dev/shm/snap.$instance over /dev/shm in $ns_file $how"
}

mount_remove() {
  mount_args
  lock_instance
  # As in mount_apply: the state is taken before the read and compared before the change.
  if [ -e "$profile" ] && [ "$(fstab_edit check "$profile" "$entry")" != missing ]; then
    record_target "$profile"
    new_temp "$profile"
    temps=$temp
    if ! reason=$(fstab_edit remove "$profile" "$entry" 2>&1 >"$temp"); then
      die "cannot remove the entry from $profile: ${reason:-awk failed}; the file is left as it is"
    fi
    if ! grep -q '[^[:space:]]' "$temp"; then
      target_unchanged "$profile" || return 0
      rm -f "$profile" || die "cannot remove $profile"
      changed "removed $profile (nothing else was left in it)"
    elif ! cmp -s "$temp" "$profile"; then
      replace_file "$profile" "$temp" 0644 checked || return 0
      changed "removed \"$entry\" from $profile"
    fi
  fi
  mount_live_state
  found namespace "\"$live\""
  [ "$live" = bound ] || return 0
  snap_update_ns
  if [ -n "$tool" ]; then
    run_snap_update_ns "$tool"
  else
    # The top /dev/shm mount was checked to be our bind just above: never a blind unmount.
    nsenter --mount="$ns_file" umount /dev/shm || die "cannot unmount /dev/shm in $ns_file"
    if [ -e "$record" ]; then
      new_temp "$record"
      fstab_edit remove "$record" "$entry" >"$temp" || die "cannot update $record"
      replace_file "$record" "$temp" 0644
    fi
  fi
  mount_live_state
  [ "$live" != bound ] || die "/dev/shm in $ns_file is still a bind of /dev/shm/snap.$instance"
  changed "unbound /dev/shm/snap.$instance from /dev/shm in $ns_file (segments stay in /dev/shm/snap.$instance)"
}

mount_probe() {
  mount_args
  state=$(fstab_edit check "$profile" "$entry")
  found entry "\"$state\""
  mount_live_state
  found namespace "\"$live\""
  differs=""
  [ "$state" = present ] || differs="entry=$state"
  [ "$live" != unbound ] || differs="$differs namespace=unbound"
  # shellcheck disable=SC2086 # words
  report_probe $differs
}
