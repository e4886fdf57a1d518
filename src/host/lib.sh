# shellcheck shell=sh
# snap-shm host library: what every host operation shares. POSIX sh, sourced first.
#
# A run is `sh -s -- PART ACTION key=value...` with this file, the part's file and
# main.sh on standard input. Every run ends by printing one JSON line (what it found, what
# it changed) and exits non-zero with a message naming the path and the cause on failure.

set -eu
umask 022
export LC_ALL=C

SNAPD_PROFILE_DIR=/var/lib/snapd/apparmor/profiles
SNAPD_MOUNT_DIR=/var/lib/snapd/mount
SNAPD_NS_DIR=/run/snapd/ns
TMPFILES_DIR=/etc/tmpfiles.d
APPARMOR_SECURITYFS=/sys/kernel/security/apparmor
APPARMOR_CACHE_DIR=/var/cache/apparmor
SNAP_SHM_LOCK_DIR=/run/snap-shm
SNAP_SHM_STATE_DIR=/var/lib/snap-shm
NEWLINE='
'
# snapd's own message for a host whose /dev/shm is a symlink (WSL, old Ubuntu).
SHM_SYMLINK_MESSAGE='shared-memory plug with "private: true" cannot be connected if "/dev/shm" is a symlink'

part=""
action=""
instance=""
result_found=""
result_changed=""
result_notes=""
result_error=""
result_extra=""
temp_files=""
# How many changes this run made, and, for a self-heal run, the prefix that logs each one
# to the journal as it is made.
change_count=0
log_changes=""
instance_locked=""

# json_quote TEXT: sets $json to TEXT as a JSON string literal. Plain text needs no process
# (every result line quotes several values); only text to escape goes through awk.
json_quote() {
  case $1 in
    *[\\\"]* | *[![:print:]]*)
      json=\"$(printf '%s' "$1" | awk '
        BEGIN { ORS = "" }
        {
          gsub(/\\/, "\\\\"); gsub(/"/, "\\\""); gsub(/\t/, "\\t"); gsub(/\r/, "\\r")
          gsub(/[\001-\010\013\014\016-\037\177]/, "?")
          if (NR > 1) printf "\\n"
          printf "%s", $0
        }')\"
      ;;
    *) json="\"$1\"" ;;
  esac
}

# json_list WORD...: sets $json to the words as a JSON array of strings.
json_list() {
  list=""
  for word in "$@"; do
    json_quote "$word"
    list="$list${list:+,}$json"
  done
  json="[$list]"
}

# found_string KEY TEXT: records a fact that is a string.
found_string() {
  json_quote "$2"
  found "$1" "$json"
}

# found_string_or_null KEY TEXT: the same, and null when TEXT is empty (nothing found).
found_string_or_null() {
  if [ -n "$2" ]; then found_string "$1" "$2"; else found "$1" null; fi
}

# found KEY JSON: records a fact about the host (JSON is already encoded).
found() {
  result_found="$result_found${result_found:+,}\"$1\":$2"
}

# changed TEXT: records one change made to the host.
changed() {
  json_quote "$1"
  result_changed="$result_changed${result_changed:+,}$json"
  change_count=$((change_count + 1))
  [ -z "$log_changes" ] || printf '%s: %s\n' "$log_changes" "$1"
}

# note TEXT: records something worth saying that is not a change.
note() {
  json_quote "$1"
  result_notes="$result_notes${result_notes:+,}$json"
}

# result KEY JSON: a top-level member of the result line (probe verdicts).
result() {
  result_extra="$result_extra,\"$1\":$2"
}

die() {
  result_error=$1
  printf 'snap-shm: %s\n' "$1" >&2
  exit 1
}

# The last line of every run. Temporary files moved into place are gone: only what a
# failed run left behind costs an rm.
finish() {
  status=$?
  for temp in $temp_files; do
    [ ! -e "$temp" ] || rm -f "$temp"
  done
  if [ "$status" -ne 0 ] && [ -z "$result_error" ]; then
    result_error="$part $action failed (exit status $status)"
  fi
  ok=true
  [ "$status" -eq 0 ] || ok=false
  json_quote "$part"
  line="{\"snapShm\":1,\"part\":$json"
  json_quote "$action"
  line="$line,\"action\":$json"
  json_quote "$instance"
  line="$line,\"instance\":$json,\"ok\":$ok,\"found\":{$result_found},\"changed\":[$result_changed],\"notes\":[$result_notes]$result_extra"
  if [ -n "$result_error" ]; then
    json_quote "$result_error"
    line="$line,\"error\":$json"
  fi
  printf '%s}\n' "$line"
  exit "$status"
}

# require_root: host operations change root-owned files. The effective uid is read from
# /proc by the shell (id where there is no /proc).
require_root() {
  euid=""
  if [ -r /proc/self/status ]; then
    while read -r key _real effective _rest; do
      if [ "$key" = Uid: ]; then
        euid=$effective
        break
      fi
    done </proc/self/status
  fi
  [ -n "$euid" ] || euid=$(id -u)
  [ "$euid" -eq 0 ] || die "must run as root (id $euid): set become to run through sudo -n"
}

# check_instance NAME: snapd's instance name rules (snap name 2-40, key up to 10).
check_instance() {
  snap=${1%%_*}
  key=
  case $1 in *_*) key=${1#*_} ;; esac
  case $snap in
    *[!a-z0-9-]* | -* | *- | *--* | "" | ? ) die "invalid snap name: \"$snap\"" ;;
    *[a-z]*) ;;
    *) die "invalid snap name: \"$snap\"" ;;
  esac
  [ "${#snap}" -le 40 ] || die "invalid snap name: \"$snap\""
  case $1 in
    *_*)
      case $key in
        "" | *[!a-z0-9]*) die "invalid instance key: \"$key\"" ;;
      esac
      [ "${#key}" -le 10 ] || die "invalid instance key: \"$key\""
      ;;
  esac
}

# expect NAME ACTUAL WANTED: refuses an argument that is not what the instance implies.
expect() {
  [ "$2" = "$3" ] || die "argument $1 is \"$2\"; for instance $instance it must be \"$3\""
}

# lock_instance: one writer per instance at a time. A run that applies several parts (a
# self-heal) holds it from the first to the last. Opened for appending, so taking it
# changes no file time.
lock_instance() {
  [ -z "$instance_locked" ] || return 0
  [ -d "$SNAP_SHM_LOCK_DIR" ] || mkdir -p "$SNAP_SHM_LOCK_DIR"
  exec 9>>"$SNAP_SHM_LOCK_DIR/$instance.lock"
  flock -w 120 9 || die "cannot lock $SNAP_SHM_LOCK_DIR/$instance.lock: another snap-shm run holds it for over 120 s"
  instance_locked=yes
}

# new_temp TARGET: sets $temp to a new temporary file in TARGET's directory; it is removed
# on exit unless it was moved into place. (Not in a subshell: it records the file.)
new_temp() {
  temp=$(mktemp "${1%/*}/.snap-shm.${1##*/}.XXXXXX" 2>&1) || die "cannot create a temporary file in ${1%/*}: ${temp##*: }"
  temp_files="$temp_files $temp"
}

# write_text FILE TEXT: writes TEXT to FILE with the shell. When that fails, it tries once
# more through cat, whose message says why (the shell's printf does not), in $write_error.
write_text() {
  { printf '%s' "$2" >"$1"; } 2>/dev/null && return 0
  write_error=$(printf '%s' "$2" | cat 2>&1 >"$1") && return 0
  write_error=${write_error#cat: }
  write_error=${write_error:-write failed}
  return 1
}

# replace_file TARGET TEMP MODE: atomically puts TEMP (same directory) in TARGET's place.
replace_file() {
  chmod "$3" "$2"
  sync "$2" 2>/dev/null || true
  mv -f "$2" "$1" || die "cannot replace $1"
  sync "${1%/*}" 2>/dev/null || true
}

# replace_files MESSAGE TARGET=TEMP...: replace_file for several files of one directory, each
# keeping its target's mode, with one process per step instead of one per file and step (a
# snap has several profiles). Each replacement is recorded ("MESSAGE TARGET") once made.
# Paths without spaces.
replace_files() {
  message=$1
  shift
  [ $# -gt 0 ] || return 0
  targets=""
  temps=""
  for item in "$@"; do
    targets="$targets ${item%%=*}"
    temps="$temps ${item#*=}"
  done
  # shellcheck disable=SC2086 # paths without spaces
  modes=$(stat -c '%a' $targets) || die "cannot read the mode of$targets"
  same=""
  for mode in $modes; do
    if [ -n "$same" ] && [ "$same" != "$mode" ]; then
      same=""
      break
    fi
    same=$mode
  done
  if [ -n "$same" ]; then
    # shellcheck disable=SC2086 # paths without spaces
    chmod "$same" $temps
  else
    for item in "$@"; do
      chmod "${modes%%"$NEWLINE"*}" "${item#*=}"
      modes=${modes#*"$NEWLINE"}
    done
  fi
  # shellcheck disable=SC2086 # paths without spaces
  sync $temps 2>/dev/null || true
  for item in "$@"; do
    mv -f "${item#*=}" "${item%%=*}" || die "cannot replace ${item%%=*}"
    changed "$message ${item%%=*}"
  done
  first_target=${1%%=*}
  sync "${first_target%/*}" 2>/dev/null || true
}

# ends_without_newline FILE: true when FILE is not empty and its last byte is not a newline.
ends_without_newline() {
  [ -s "$1" ] && [ -n "$(tail -c 1 "$1")" ]
}

# parse_args key=value...: sets arg_<key> (dashes become underscores) for the keys host
# operations take; anything else is refused.
parse_args() {
  for pair in "$@"; do
    value=${pair#*=}
    case $pair in
      instance=*) arg_instance=$value ;;
      path=*) arg_path=$value ;;
      mode=*) arg_mode=$value ;;
      owner=*) arg_owner=$value ;;
      group=*) arg_group=$value ;;
      purge=*) arg_purge=$value ;;
      profiles=*) arg_profiles=$value ;;
      app-snippet=*) arg_app_snippet=$value ;;
      update-ns-snippet=*) arg_update_ns_snippet=$value ;;
      profile=*) arg_profile=$value ;;
      entry=*) arg_entry=$value ;;
      revision=*) arg_revision=$value ;;
      operation-mode=*) arg_operation_mode=$value ;;
      plug=*) arg_plug=$value ;;
      generation=*) arg_generation=$value ;;
      app-snippet-single-level=*) arg_app_snippet_single_level=$value ;;
      app-snippet-recursive=*) arg_app_snippet_recursive=$value ;;
      self-heal=*) arg_self_heal=$value ;;
      *) die "unknown argument \"${pair%%=*}\"" ;;
    esac
  done
}

# need VALUE NAME: refuses a missing (empty) argument.
need() {
  [ -n "$1" ] || die "missing argument $2="
}

# refuse_symlinked_shm: snapd refuses private shared memory where /dev/shm is a symlink.
refuse_symlinked_shm() {
  [ ! -L /dev/shm ] || die "$SHM_SYMLINK_MESSAGE"
}

# snap_update_ns: the path of snapd's snap-update-ns, or nothing.
snap_update_ns() {
  for candidate in /usr/lib/snapd/snap-update-ns /usr/libexec/snapd/snap-update-ns; do
    if [ -x "$candidate" ]; then
      printf '%s' "$candidate"
      return 0
    fi
  done
}

# namespace_preserved: the snap has run and snapd keeps its mount namespace.
namespace_preserved() {
  awk -v p="$SNAPD_NS_DIR/$instance.mnt" '$5 == p { for (i = 6; i <= NF; i++) if ($i == "-") { if ($(i + 1) == "nsfs") found = 1; break } }
    END { exit !found }' /proc/self/mountinfo
}

# The revision of a part: a number each apply records when asked, which drift-aware
# previews read back (a drifted part is applied again with the next number).
# read_revision: sets $revision_file to this part's record and $part_revision to the revision
# recorded in it, 0 when none; in variables, as the probe reads it for every part.
read_revision() {
  revision_file=$SNAP_SHM_STATE_DIR/$instance/$part.revision
  part_revision=0
  [ -f "$revision_file" ] || return 0
  IFS= read -r recorded <"$revision_file" || true
  case $recorded in '' | *[!0-9]*) ;; *) part_revision=$recorded ;; esac
}

# record_revision: after a successful apply, keeps the revision it was given. Replaced
# atomically but not synced: the record is a hint, and one lost in a crash only makes the
# next run apply the part once more.
record_revision() {
  [ -n "${arg_revision-}" ] || return 0
  case $arg_revision in *[!0-9]*) die "argument revision is \"$arg_revision\"; it must be a whole number" ;; esac
  read_revision
  [ "$part_revision" != "$arg_revision" ] || return 0
  [ -d "${revision_file%/*}" ] || mkdir -p "${revision_file%/*}"
  new_temp "$revision_file"
  write_text "$temp" "$arg_revision$NEWLINE" || die "cannot write $temp: $write_error"
  chmod 0644 "$temp"
  mv -f "$temp" "$revision_file" || die "cannot replace $revision_file"
}

# forget_revision: after a removal, nothing of the part is left in the state folder.
forget_revision() {
  rm -f "$SNAP_SHM_STATE_DIR/$instance/$part.revision"
  rmdir "$SNAP_SHM_STATE_DIR/$instance" "$SNAP_SHM_STATE_DIR" 2>/dev/null || true
}
