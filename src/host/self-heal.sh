# shellcheck shell=sh
# Self-heal: snapd rewrites a snap's AppArmor profiles and mount profile (on connect or
# disconnect of any of its interfaces, refresh, disable and enable, a new system key),
# dropping what snap-shm added and unmounting the live bind. This part installs, per
# instance, a heal script (the directory, AppArmor and mount applies with their arguments
# baked in) and two systemd units: a .path unit watching the files snapd rewrites, and a
# oneshot .service that runs the heal, once at boot too. Removal takes all of it away.

SELF_HEAL_UNIT_DIR=/etc/systemd/system
# systemd makes this folder when it runs as init (what sd_booted() looks for).
SYSTEMD_RUNTIME_DIR=/run/systemd/system
# snapd rewrites a snap's files a few times per event; a heal fighting another writer in a
# loop is stopped instead (the path unit fails, visible to `systemctl --failed` and to the
# drift probe, and the next apply starts it again).
SELF_HEAL_LIMIT_INTERVAL=10min
SELF_HEAL_LIMIT_BURST=60
# systemd does not watch while the heal runs: a round that changed something is followed by
# another, so a rewrite landing during a round is still repaired by the same run.
SELF_HEAL_ROUNDS=3

# self_heal_names: the instance's unit names (instance names are valid in unit names as
# they are), its heal script, and the record of the repairs the heal made (outside every
# path the .path unit watches). Set once per run, in variables: no subshell per use.
self_heal_names() {
  heal_service=snap-shm-heal-$instance.service
  heal_path_unit=snap-shm-heal-$instance.path
  heal_script=$SNAP_SHM_STATE_DIR/$instance/heal.sh
  heal_record=$SNAP_SHM_STATE_DIR/$instance/last-self-heal
}

systemd_running() {
  [ -d "$SYSTEMD_RUNTIME_DIR" ] && command -v systemctl >/dev/null 2>&1
}

# shell_quote WORD: sets $quoted to WORD as one single-quoted sh word, whatever it holds
# (newlines too).
shell_quote() {
  rest=$1
  quoted=
  while :; do
    case $rest in
      *"'"*)
        quoted="$quoted${rest%%"'"*}'\\''"
        rest=${rest#*"'"}
        ;;
      *) break ;;
    esac
  done
  quoted="'$quoted$rest'"
}

# self_heal_args: checks every argument the heal will be given, as the applies would.
self_heal_args() {
  directory_args
  apparmor_args
  mount_args
}

# The three texts below are built in variables, not printed: each apply compares them with
# the installed files, and a command substitution would fork and copy them (the script is
# about 48 KB) on every run.

# self_heal_script_text: sets $script_text to the heal script: the applies' arguments, then
# the heal program ($heal_functions and $heal_entry, set by the script this part is sent as).
self_heal_script_text() {
  # Its comment lines joined with $NEWLINE: the sender drops lines that start with a `#`.
  script_text="#!/bin/sh$NEWLINE"
  script_text="$script_text# snap-shm self-heal of the private /dev/shm of snap $instance, run by $heal_service.$NEWLINE"
  script_text="$script_text# Written by snap-shm with the arguments of its last apply; removed with the instance. Do not edit.$NEWLINE"
  script_text="${script_text}set -- 'self-heal' 'run'"
  # With `generation=auto` both snippets: the heal picks the one for the snapd it runs under.
  if [ "${arg_generation-}" = auto ]; then
    set -- "generation=auto" "app-snippet-single-level=${arg_app_snippet_single_level-}" "app-snippet-recursive=${arg_app_snippet_recursive-}"
  else
    set -- "app-snippet=$arg_app_snippet"
  fi
  for pair in "instance=$instance" "operation-mode=managed" "path=$arg_path" "mode=$arg_mode" "owner=$arg_owner" \
    "group=$arg_group" "profiles=$arg_profiles" "profile=$arg_profile" "entry=$arg_entry" \
    "$@" "update-ns-snippet=$arg_update_ns_snippet"; do
    shell_quote "$pair"
    script_text="$script_text \\$NEWLINE  $quoted"
  done
  # shellcheck disable=SC2154 # set by the script this part is sent as (src/render/host-command.ts)
  script_text="$script_text$NEWLINE$heal_functions$heal_entry"
}

# lines_text LINE...: sets $text to the lines, each ended by a newline. The sender drops
# comment and blank lines from these files, here-documents included: the unit texts are
# given line by line.
lines_text() {
  text=
  for line in "$@"; do text="$text$line$NEWLINE"; done
}

# self_heal_service_text: sets $service_text to the oneshot .service unit.
self_heal_service_text() {
  lines_text \
    "# Written by snap-shm; removed with the instance. Do not edit." \
    "[Unit]" \
    "Description=snap-shm: repair the private /dev/shm of snap $instance after snapd rewrites it" \
    "# At boot, after snapd has loaded the profiles and, on a new system key, rewritten them." \
    "After=snapd.apparmor.service snapd.service" \
    "StartLimitIntervalSec=$SELF_HEAL_LIMIT_INTERVAL" \
    "StartLimitBurst=$SELF_HEAL_LIMIT_BURST" \
    "" \
    "[Service]" \
    "# No RemainAfterExit: inactive again after each run, so the .path unit can start it again." \
    "Type=oneshot" \
    "ExecStart=/bin/sh $heal_script" \
    "SyslogIdentifier=snap-shm-heal-$instance" \
    "TimeoutStartSec=5min" \
    "" \
    "[Install]" \
    "WantedBy=multi-user.target"
  service_text=$text
}

# self_heal_path_text: sets $path_text to the .path unit watching the files snapd rewrites:
# its mount profile and every profile the block goes into (a snapd rewrite of the snap
# always rewrites snap-update-ns.I, which holds a block too).
self_heal_path_text() {
  set -- "PathChanged=$profile"
  for name in $profile_names; do
    set -- "$@" "PathChanged=$SNAPD_PROFILE_DIR/$name"
  done
  lines_text \
    "# Written by snap-shm; removed with the instance. Do not edit." \
    "[Unit]" \
    "Description=snap-shm: watch what snapd rewrites for snap $instance" \
    "" \
    "[Path]" \
    "# Each file itself: snapd replaces it by a rename, or deletes it (the mount profile)." \
    "$@" \
    "Unit=$heal_service" \
    "TriggerLimitIntervalSec=$SELF_HEAL_LIMIT_INTERVAL" \
    "TriggerLimitBurst=$SELF_HEAL_LIMIT_BURST" \
    "" \
    "[Install]" \
    "WantedBy=paths.target"
  path_text=$text
}

# read_small_file FILE: sets $existing to FILE's text, read by the shell (no process; for the
# unit files, a few lines each), then an x that keeps its trailing newlines.
read_small_file() {
  existing=
  while IFS= read -r line; do
    existing="$existing$line$NEWLINE"
  done <"$1"
  existing="$existing${line}x"
}

# stage_text TARGET TEXT: when TARGET's text is not TEXT, writes TEXT to a temporary file
# beside it (mode 0644) and adds TARGET=TEMP to $staged, for install_staged; true when it
# did. The comparison comes first, so a file in sync is not touched (no temporary file either).
stage_text() {
  if [ -f "$1" ]; then
    if [ "${#2}" -le 4096 ]; then
      read_small_file "$1"
    else
      # The file, then an x (from the here-document) that keeps its trailing newlines: one
      # process, since cat is the substitution's only command.
      existing=$(cat -- "$1" - <<'END'
x
END
)
    fi
    [ "${existing%x}" != "$2" ] || return 1
  fi
  [ -d "${1%/*}" ] || mkdir -p "${1%/*}"
  new_temp "$1"
  write_text "$temp" "$2" || die "cannot write $temp: $write_error"
  staged="$staged $1=$temp"
}

# install_staged: puts each file of $staged in place, in order, atomically, as replace_file
# does: one sync of every temporary file before the first rename, one of their folders after
# the last. Paths without spaces.
install_staged() {
  [ -n "$staged" ] || return 0
  # shellcheck disable=SC2086 # words
  split_items $staged
  folders=
  for target in $targets; do
    case " $folders " in *" ${target%/*} "*) ;; *) folders="$folders ${target%/*}" ;; esac
  done
  # shellcheck disable=SC2086 # paths without spaces
  sync $temps 2>/dev/null || true
  for item in $staged; do
    mv -f "${item#*=}" "${item%%=*}" || die "cannot replace ${item%%=*}"
    changed "wrote ${item%%=*}"
  done
  # shellcheck disable=SC2086 # paths without spaces
  sync $folders 2>/dev/null || true
  staged=
}

# self_heal_activate: enables both units and starts the .path unit where systemd runs.
self_heal_activate() {
  if ! systemd_running; then
    found systemd '"absent"'
    found active false
    note "systemd is not running on this host (no $SYSTEMD_RUNTIME_DIR): the heal script and units are written but not enabled, so self-heal is not active here"
    return 0
  fi
  found systemd '"running"'
  if [ -n "$units_written" ]; then
    output=$(systemctl daemon-reload 2>&1) || die "systemctl daemon-reload failed: $output"
  fi
  for unit in "$heal_service" "$heal_path_unit"; do
    systemctl is-enabled --quiet "$unit" 2>/dev/null && continue
    output=$(systemctl enable "$unit" 2>&1) || die "systemctl enable $unit failed: $output"
    changed "enabled $unit"
  done
  if ! systemctl is-active --quiet "$heal_path_unit"; then
    state=$(systemctl is-active "$heal_path_unit" 2>/dev/null || true)
    # A path unit that hit its trigger limit stays failed until reset.
    systemctl reset-failed "$heal_path_unit" "$heal_service" >/dev/null 2>&1 || true
    output=$(systemctl start "$heal_path_unit" 2>&1) || die "systemctl start $heal_path_unit failed: $output"
    changed "started $heal_path_unit (it was ${state:-inactive})"
  elif [ -n "$path_written" ]; then
    output=$(systemctl restart "$heal_path_unit" 2>&1) || die "systemctl restart $heal_path_unit failed: $output"
    changed "restarted $heal_path_unit to watch the new paths"
  fi
  found active true
}

# self_heal_uninstall: stops and disables the units, removes them, the heal script and the
# record; what is already gone is left alone.
self_heal_uninstall() {
  if systemd_running; then
    # The .path unit first, so no new heal starts while the rest goes.
    for unit in "$heal_path_unit" "$heal_service"; do
      if systemctl is-enabled --quiet "$unit" 2>/dev/null; then
        output=$(systemctl disable "$unit" 2>&1) || die "systemctl disable $unit failed: $output"
        changed "disabled $unit"
      fi
      # Not only "active": a running oneshot heal is "activating", and one waiting for the
      # instance lock would repair everything again once this removal lets go of it.
      state=$(systemctl is-active "$unit" 2>/dev/null) || true
      case $state in
        active | activating | deactivating | reloading | refreshing)
          output=$(systemctl stop "$unit" 2>&1) || die "systemctl stop $unit failed: $output"
          changed "stopped $unit"
          ;;
      esac
    done
  fi
  # Links left by a systemd that is not running now.
  for link in "$SELF_HEAL_UNIT_DIR"/*.wants/"$heal_path_unit" "$SELF_HEAL_UNIT_DIR"/*.wants/"$heal_service"; do
    [ -L "$link" ] || continue
    rm -f "$link" || die "cannot remove $link"
    rmdir "${link%/*}" 2>/dev/null || true
    changed "removed $link"
  done
  units_removed=
  for file in "$SELF_HEAL_UNIT_DIR/$heal_path_unit" "$SELF_HEAL_UNIT_DIR/$heal_service" "$heal_script" "$heal_record"; do
    [ -e "$file" ] || continue
    rm -f "$file" || die "cannot remove $file"
    changed "removed $file"
    case $file in "$SELF_HEAL_UNIT_DIR"/*) units_removed=yes ;; esac
  done
  if systemd_running && [ -n "$units_removed" ]; then
    output=$(systemctl daemon-reload 2>&1) || die "systemctl daemon-reload failed: $output"
    systemctl reset-failed "$heal_path_unit" "$heal_service" >/dev/null 2>&1 || true
  fi
}

# self_heal_repair: the directory, AppArmor and mount applies under the instance lock, in
# rounds: a round that changed something is followed by another, since systemd does not
# watch while the heal runs. So is a round in which snapd rewrote a profile while it was
# being edited: nothing was replaced then ($edit_again), and the next round edits snapd's new
# text. A host in sync is only read. What the first round found is reported (what snapd had
# left), with the number of rounds.
self_heal_repair() {
  round=0
  repair_found=
  edit_again=yes
  while :; do
    round=$((round + 1))
    before=$change_count
    raced=
    for repair_part in directory apparmor mount; do
      outer_found=$result_found
      result_found=
      targets_changed=
      "${repair_part}_apply"
      [ -z "$targets_changed" ] || raced=$targets_changed
      [ "$round" -gt 1 ] || repair_found="$repair_found${repair_found:+,}\"$repair_part\":{$result_found}"
      result_found=$outer_found
    done
    if [ -z "$raced" ] && [ "$change_count" -eq "$before" ]; then break; fi
    if [ "$round" -ge "$SELF_HEAL_ROUNDS" ]; then
      [ -z "$raced" ] ||
        die "$raced changed while it was being edited, in round after round ($round): nothing of it was replaced; the next rewrite starts the heal again"
      break
    fi
  done
  edit_again=
  found repair "{$repair_found,\"rounds\":$round}"
}

# self_heal_record_repair: the time of this repair and how many there were, for the probe.
self_heal_record_repair() {
  repairs=0
  if [ -f "$heal_record" ]; then
    read -r _ repairs <"$heal_record" || true
    case $repairs in '' | *[!0-9]*) repairs=0 ;; esac
  fi
  repairs=$((repairs + 1))
  when=$(date -u +%Y-%m-%dT%H:%M:%SZ)
  mkdir -p "${heal_record%/*}"
  new_temp "$heal_record"
  printf '%s %s\n' "$when" "$repairs" >"$temp" || die "cannot write $temp"
  replace_file "$heal_record" "$temp" 0644
  found lastSelfHeal "\"$when\""
  found repairs "$repairs"
}

# self_heal_found_record: the last repair's time and the count, as the record says.
self_heal_found_record() {
  when=
  repairs=0
  if [ -f "$heal_record" ]; then
    read -r when repairs <"$heal_record" || true
    case $when in *[!0-9TZ:-]*) when= ;; esac
    case $repairs in '' | *[!0-9]*) repairs=0 ;; esac
  fi
  if [ -n "$when" ]; then found lastSelfHeal "\"$when\""; else found lastSelfHeal null; fi
  found repairs "$repairs"
}

self_heal_apply() {
  self_heal_names
  lock_instance
  if [ "${arg_operation_mode-managed}" = native ]; then
    # snapd writes its own rules and entry in native mode and keeps them across its rewrites;
    # a heal would only fight it.
    self_heal_uninstall
    found active false
    note "native mode: snapd keeps its own rules and entry across its rewrites, so self-heal is not installed"
    return 0
  fi
  self_heal_args
  self_heal_script_text
  self_heal_service_text
  self_heal_path_text
  script_replaced=
  [ ! -f "$heal_script" ] || script_replaced=yes
  script_written=
  units_written=
  path_written=
  staged=
  if stage_text "$heal_script" "$script_text"; then script_written=yes; fi
  if stage_text "$SELF_HEAL_UNIT_DIR/$heal_service" "$service_text"; then units_written=yes; fi
  if stage_text "$SELF_HEAL_UNIT_DIR/$heal_path_unit" "$path_text"; then units_written=yes path_written=yes; fi
  install_staged
  # A heal started while the other parts were being updated ran with their old arguments:
  # the new ones win, once, now. A first heal script had no heal before it to undo: the
  # parts before this one have just applied the host.
  [ -z "$script_written" ] || [ -z "$script_replaced" ] || self_heal_repair
  self_heal_activate
  self_heal_found_record
}

self_heal_remove() {
  self_heal_names
  lock_instance
  self_heal_uninstall
}

# snapd_serves_natively: snapd's own private-shm mount rule is in snap-update-ns.I outside
# snap-shm's block, so snapd has the private plug connected (the instance is moving to native
# mode, whose apply takes snap-shm's blocks away): a heal must not put them back.
# shellcheck disable=SC2016 # awk source, not shell
snapd_serves_natively() {
  awk -v rule="mount options=(bind, rw) /dev/shm/snap.$instance/ -> /dev/shm/," '
    { line = $0; sub(/^[ \t]+/, "", line); sub(/[ \t]+$/, "", line) }
    line == "# BEGIN snap-shm private-shm" { inside = 1; next }
    line == "# END snap-shm private-shm" { inside = 0; next }
    !inside && line == rule { found = 1 }
    END { exit !found }' "$SNAPD_PROFILE_DIR/snap-update-ns.$instance"
}

# self_heal_run: what the service runs. Each change goes to the journal as it is made.
self_heal_run() {
  [ "${arg_operation_mode-managed}" = managed ] || die "self-heal runs in managed mode only, not \"$arg_operation_mode\""
  log_changes="snap-shm self-heal of $instance"
  self_heal_names
  self_heal_args
  # systemd names the path that started the run, best effort (documented with systemd 252).
  if [ -n "${TRIGGER_PATH-}" ]; then
    found_string trigger "$TRIGGER_PATH"
    printf '%s: started by a change of %s\n' "$log_changes" "$TRIGGER_PATH" || true
  fi
  # A heal run from the installed script ($0) holds that file open (no process) while it
  # waits for the lock: a removal or a new apply that ran meanwhile took it away or replaced
  # it, and this heal, with the old arguments, must then not put anything back.
  started_from=
  if [ "$0" = "$heal_script" ] && command exec 8<"$heal_script"; then started_from=yes; fi
  lock_instance
  if [ -n "$started_from" ]; then
    if [ ! -f "$heal_script" ]; then
      note "self-heal of snap $instance was removed while this heal waited for the lock: nothing to repair"
      printf '%s: removed while waiting, nothing to repair\n' "$log_changes" || true
      return 0
    fi
    # The file this heal opened, and the one there now (stat inherits descriptor 8).
    identities=$(stat -L -c '%d:%i' /proc/self/fd/8 "$heal_script" 2>/dev/null) || identities=
    exec 8<&-
    if [ -n "$identities" ] && [ "${identities%%"$NEWLINE"*}" != "${identities#*"$NEWLINE"}" ]; then
      note "$heal_script was replaced while this heal waited for the lock (by a new apply, which repairs with its own arguments): nothing to repair with the old ones"
      printf '%s: replaced while waiting, nothing to repair\n' "$log_changes" || true
      return 0
    fi
  fi
  if [ ! -f "$SNAPD_PROFILE_DIR/snap-update-ns.$instance" ]; then
    note "snap $instance has no profiles now (disabled or removed): nothing to repair until snapd sets it up again"
    printf '%s: no profiles (disabled or removed), nothing to repair\n' "$log_changes"
    return 0
  fi
  if snapd_serves_natively; then
    note "snapd itself gives snap $instance its private /dev/shm now (its own rules are in the profiles): nothing for self-heal to do"
    printf '%s: snapd serves the private plug itself, nothing to repair\n' "$log_changes"
    return 0
  fi
  self_heal_repair
  if [ "$change_count" -eq 0 ]; then
    printf '%s: in sync, nothing to repair\n' "$log_changes"
    self_heal_found_record
  else
    self_heal_record_repair
    printf '%s: repaired after a rewrite (%s change(s), %s round(s)); repair %s since install\n' "$log_changes" "$change_count" "$round" "$repairs"
  fi
}

# self_heal_compare MODE: the probe. Installed and, where systemd runs, watching, is what
# managed mode with self-heal wants; nothing installed is what native mode wants.
self_heal_compare() {
  self_heal_names
  if [ -f "$heal_script" ]; then script=present; else script=missing; fi
  if [ -f "$SELF_HEAL_UNIT_DIR/$heal_path_unit" ] && [ -f "$SELF_HEAL_UNIT_DIR/$heal_service" ]; then units=present; else units=missing; fi
  found script "\"$script\""
  found units "\"$units\""
  path_state=
  if systemd_running; then
    found systemd '"running"'
    path_state=$(systemctl is-active "$heal_path_unit" 2>/dev/null || true)
    found_string path "${path_state:-unknown}"
  else
    found systemd '"absent"'
  fi
  self_heal_found_record
  differs=""
  if [ "${arg_self_heal-}" = yes ] && [ "$1" = managed ]; then
    [ "$script" = present ] || differs="script=missing"
    [ "$units" = present ] || differs="$differs units=missing"
    [ -z "$path_state" ] || [ "$path_state" = active ] || differs="$differs path=$path_state"
  elif [ "${arg_self_heal-}" = yes ]; then
    [ "$script" = missing ] || differs="script=present"
    [ "$units" = missing ] || differs="$differs units=present"
  fi
  # shellcheck disable=SC2086 # words
  report_probe $differs
}

self_heal_probe() {
  self_heal_compare managed
}

native_self_heal_probe() {
  self_heal_compare native
}
