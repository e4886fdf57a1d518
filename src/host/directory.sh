# shellcheck shell=sh
# The private directory /dev/shm/snap.I: mode 01777, root:root, kept across reboots by a
# systemd-tmpfiles entry of the product's own.

# directory_args: checks the arguments against what the instance implies, and sets the
# paths: dir_path, tmpfiles_path and the tmpfiles entry, tmpfiles_line.
directory_args() {
  need "${arg_path-}" path
  dir_path=$arg_path
  tmpfiles_path=$TMPFILES_DIR/snap-shm-$instance.conf
  tmpfiles_line="d $dir_path 1777 root root -"
  expect path "$dir_path" "/dev/shm/snap.$instance"
  expect mode "${arg_mode-}" 1777
  expect owner "${arg_owner-}" root
  expect group "${arg_group-}" root
}

# directory_facts: what is at the path now (dir_type, dir_mode, dir_owner, dir_group).
directory_facts() {
  dir_mode=
  dir_owner=
  dir_group=
  if [ -L "$dir_path" ]; then
    dir_type=symlink
  elif [ -d "$dir_path" ]; then
    dir_type=directory
    # shellcheck disable=SC2046 # three words from stat
    set -- $(stat -c '%a %U %G' "$dir_path")
    dir_mode=$1
    dir_owner=$2
    dir_group=$3
  elif [ -e "$dir_path" ]; then
    dir_type="file"
  else
    dir_type=missing
  fi
  found_string path "$dir_path"
  found type "\"$dir_type\""
  if [ "$dir_type" = directory ]; then
    found mode "\"$dir_mode\""
    found_string owner "$dir_owner"
    found_string group "$dir_group"
  fi
}

# directory_entry_count: how many entries (segments) the directory holds.
directory_entry_count() {
  set -- "$dir_path"/* "$dir_path"/.[!.]* "$dir_path"/..?*
  count=0
  for entry in "$@"; do
    if [ -e "$entry" ] || [ -L "$entry" ]; then count=$((count + 1)); fi
  done
  printf '%s' "$count"
}

# directory_tmpfiles_state: sets tmpfiles_state to present (the entry and nothing else but
# comments and blank lines, as systemd-tmpfiles reads it), missing, different or
# unavailable (no tmpfiles.d). Read by the shell itself: no process.
directory_tmpfiles_state() {
  if [ ! -d "$TMPFILES_DIR" ]; then
    tmpfiles_state=unavailable
  elif [ ! -f "$tmpfiles_path" ]; then
    tmpfiles_state=missing
  else
    tmpfiles_state=present
    entries=0
    while IFS= read -r line || [ -n "$line" ]; do
      case $line in
        "#"* | "") ;;
        "$tmpfiles_line") entries=$((entries + 1)) ;;
        *) tmpfiles_state=different ;;
      esac
    done <"$tmpfiles_path"
    [ "$entries" -eq 1 ] || tmpfiles_state=different
  fi
}

# directory_repair: mode 01777 and root:root on an existing directory (snapd never repairs them).
# GNU chmod keeps a directory's setuid and setgid bits under `chmod 1777` (2755 gives 3777):
# the leading zero of 01777 clears them. What the repair gave is read back before it is
# reported: a repair that did not take (a file system that refuses the mode) fails the run
# rather than being reported on every run.
directory_repair() {
  [ "$dir_mode $dir_owner:$dir_group" != "1777 root:root" ] || return 0
  if [ "$dir_mode" != 1777 ]; then
    chmod 01777 "$dir_path" || die "cannot change the mode of $dir_path"
  fi
  if [ "$dir_owner:$dir_group" != root:root ]; then
    chown root:root "$dir_path" || die "cannot change the owner of $dir_path"
  fi
  repaired=$(stat -c '%a %U:%G' "$dir_path") || die "cannot read the mode of $dir_path"
  [ "$repaired" = "1777 root:root" ] ||
    die "$dir_path is still mode ${repaired%% *}, owner ${repaired#* } after repairing it to 1777 root:root"
  [ "$dir_mode" = 1777 ] || changed "repaired mode of $dir_path: $dir_mode -> 1777"
  [ "$dir_owner:$dir_group" = root:root ] || changed "repaired owner of $dir_path: $dir_owner:$dir_group -> root:root"
}

directory_apply() {
  directory_args
  refuse_symlinked_shm
  lock_instance
  directory_facts
  case $dir_type in
    symlink | file)
      die "refusing $dir_path: it is a $dir_type, not a directory (snapd would silently fall back to the shared /dev/shm); move it away and apply again"
      ;;
    missing)
      mkdir -m 1777 "$dir_path" || die "cannot create $dir_path"
      # Root's, in root's group, unless the group is not root's or /dev/shm hands its own
      # down (setgid): only then is chown needed.
      if [ "${egid-}" != 0 ] || [ -g "${dir_path%/*}" ]; then chown root:root "$dir_path"; fi
      changed "created $dir_path (mode 1777, root:root)"
      ;;
    directory) directory_repair ;;
  esac
  directory_tmpfiles_state
  found tmpfiles "\"$tmpfiles_state\""
  case $tmpfiles_state in
    present) ;;
    unavailable) note "no $TMPFILES_DIR on this host: $dir_path will not come back after a reboot until the next apply" ;;
    *)
      new_temp "$tmpfiles_path"
      write_text "$temp" "# snap-shm: the private /dev/shm of snap $instance, recreated at boot.$NEWLINE$tmpfiles_line$NEWLINE" ||
        die "cannot write $temp: $write_error"
      replace_file "$tmpfiles_path" "$temp" 0644
      changed "wrote $tmpfiles_path"
      ;;
  esac
}

directory_remove() {
  directory_args
  case ${arg_purge-} in
    yes | no) ;;
    *) die "argument purge is \"${arg_purge-}\"; it must be yes or no" ;;
  esac
  lock_instance
  if [ -f "$tmpfiles_path" ]; then
    rm -f "$tmpfiles_path" || die "cannot remove $tmpfiles_path"
    changed "removed $tmpfiles_path"
  fi
  directory_facts
  case $dir_type in
    missing) ;;
    symlink | file) note "left $dir_path alone: it is a $dir_type, not the directory snap-shm made" ;;
    directory)
      count=$(directory_entry_count)
      found entries "$count"
      if [ "$count" -eq 0 ]; then
        rmdir "$dir_path" || die "cannot remove $dir_path"
        changed "removed $dir_path"
      elif [ "$arg_purge" = yes ]; then
        rm -rf "$dir_path" || die "cannot purge $dir_path"
        changed "purged $dir_path and the $count entries it held"
      else
        note "kept $dir_path: it holds $count entries (shared-memory segments are data; purge was not asked for)"
      fi
      ;;
  esac
}

directory_probe() {
  directory_args
  directory_facts
  directory_tmpfiles_state
  found tmpfiles "\"$tmpfiles_state\""
  differs=""
  case $dir_type in
    directory)
      [ "$dir_mode" = 1777 ] || differs="$differs mode=$dir_mode"
      [ "$dir_owner:$dir_group" = root:root ] || differs="$differs owner=$dir_owner:$dir_group"
      ;;
    *) differs="$differs type=$dir_type" ;;
  esac
  [ "$tmpfiles_state" = present ] || [ "$tmpfiles_state" = unavailable ] || differs="$differs tmpfiles=$tmpfiles_state"
  # shellcheck disable=SC2086 # words
  report_probe $differs
}
