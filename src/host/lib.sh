# shellcheck shell=sh
# snap-shm host library: what every host operation shares. POSIX sh, sourced first.
#
# A run is `sh -s -- PART ACTION key=value...` with this file, the part's file and
# main.sh on standard input. Every run ends by printing one JSON line (what it found, what
# it changed) and exits non-zero with a message naming the path and the cause on failure.

set -eu
umask 022
export LC_ALL=C
# A sudo without secure_path keeps the SSH user's PATH, which sshd gives no sbin folder for
# users other than root: apparmor_parser would go unfound, and AppArmor would read as disabled
# with the profiles written and never loaded. The system folders follow the caller's own.
for system_dir in /usr/local/sbin /usr/local/bin /usr/sbin /usr/bin /sbin /bin; do
  case ":${PATH-}:" in *":$system_dir:"*) ;; *) PATH=${PATH:+$PATH:}$system_dir ;; esac
done
export PATH

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
temp_serial=0
# How many changes this run made, and, for a self-heal run, the prefix that logs each one
# to the journal as it is made.
change_count=0
log_changes=""
instance_locked=""

# json_quote TEXT: sets $json to TEXT as a JSON string literal. Printable text needs no
# process (every result line quotes several values, and messages quote paths and entries);
# only text with a control character (a newline, a tab) goes through awk.
# A backslash is doubled with "&&" (the match, twice): awks disagree on what "\\\\" gives
# in a replacement (mawk, Debian's and Ubuntu's awk, makes it one backslash; gawk and
# busybox two), while "&" means the match in every one of them.
json_quote() {
  case $1 in
    *[![:print:]]*)
      json=\"$(printf '%s' "$1" | awk '
        BEGIN { ORS = "" }
        {
          gsub(/\\/, "&&"); gsub(/"/, "\\\""); gsub(/\t/, "\\t"); gsub(/\r/, "\\r")
          gsub(/[\001-\010\013\014\016-\037\177]/, "?")
          if (NR > 1) printf "\\n"
          printf "%s", $0
        }')\"
      ;;
    *[\\\"]*)
      # Printable text with a quote or a backslash: each escaped by the shell.
      rest=$1
      escaped=
      while :; do
        case $rest in
          *[\\\"]*)
            head=${rest%%[\\\"]*}
            rest=${rest#"$head"}
            escaped="$escaped$head\\${rest%"${rest#?}"}"
            rest=${rest#?}
            ;;
          *) break ;;
        esac
      done
      json="\"$escaped$rest\""
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
  [ -z "$log_changes" ] || printf '%s: %s\n' "$log_changes" "$1" || true
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
  # A caller that went away fails the write (SIGPIPE is ignored): the run still ends as it should.
  printf 'snap-shm: %s\n' "$1" >&2 || true
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
  printf '%s}\n' "$line" || true
  exit "$status"
}

# finish_on_exit: finish ends every run, however it ends. dash (Ubuntu's and Debian's sh)
# runs no EXIT trap when a signal kills it, which would leave temporary files beside the
# profiles (snapd-apparmor loads that folder at boot, dot-files too) and print no result:
# a hang-up, ^C or kill exits instead, with the shell's usual status for that signal, and
# the EXIT trap runs. A caller that goes away without a hang-up (sshd sends none to a session
# without a terminal) would leave the next write a SIGPIPE, which kills dash the same way:
# SIGPIPE is ignored, so writes fail with EPIPE instead and the run ends through finish.
finish_on_exit() {
  trap '' PIPE
  trap finish EXIT
  trap 'interrupted HUP 129' HUP
  trap 'interrupted INT 130' INT
  trap 'interrupted TERM 143' TERM
}

# interrupted SIGNAL STATUS: a signal's way out. Nothing is printed here: after a hang-up a
# write may fail, and the EXIT trap has files to remove first.
interrupted() {
  result_error="$part $action was interrupted by SIG$1"
  exit "$2"
}

# require_root: host operations change root-owned files. The effective uid is read from
# /proc by the shell (id where there is no /proc), and the effective gid with it ($egid, the
# group new files get; empty where there is no /proc).
require_root() {
  euid=""
  egid=""
  if [ -r /proc/self/status ]; then
    while read -r key _real effective _rest; do
      case $key in
        Uid:) euid=$effective ;;
        Gid:)
          egid=$effective
          break
          ;;
      esac
    done </proc/self/status
  fi
  [ -n "$euid" ] || euid=$(id -u)
  [ "$euid" -eq 0 ] || die "must run as root (id $euid): set become to run through sudo -n"
}

# go_quote TEXT: sets $quoted to TEXT as Go's %q quotes it (as snapd's messages and the
# TypeScript's goQuote do): a backslash before `"` and `\`, Go's escapes for control
# characters (\n, \t... or \xNN). Plain text needs no process. Bytes from 0x80 on are kept as
# they are: right for valid, printable UTF-8 (Go keeps those too), not for the rest.
# shellcheck disable=SC2016 # awk source, not shell
go_quote() {
  case $1 in
    *[\\\"]* | *[![:print:]]*)
      quoted=$(SNAP_SHM_TEXT=$1 awk 'BEGIN {
        s = ENVIRON["SNAP_SHM_TEXT"]; out = ""
        esc["\007"] = "\\a"; esc["\b"] = "\\b"; esc["\f"] = "\\f"; esc["\n"] = "\\n"
        esc["\r"] = "\\r"; esc["\t"] = "\\t"; esc["\v"] = "\\v"; esc["\\"] = "\\\\"; esc["\""] = "\\\""
        for (i = 1; i < 32; i++) if (!(sprintf("%c", i) in esc)) esc[sprintf("%c", i)] = sprintf("\\x%02x", i)
        esc["\177"] = "\\x7f"
        for (i = 1; i <= length(s); i++) { c = substr(s, i, 1); out = out ((c in esc) ? esc[c] : c) }
        printf "\"%s\"", out
      }')
      ;;
    *) quoted="\"$1\"" ;;
  esac
}

# check_instance NAME: snapd's instance name rules (snap name 2-40, key up to 10), refused
# with snapd's messages.
check_instance() {
  snap=${1%%_*}
  key=
  case $1 in *_*) key=${1#*_} ;; esac
  case $snap in
    *[!a-z0-9-]* | -* | *- | *--* | "" | ?) bad_name "invalid snap name: " "$snap" ;;
    *[a-z]*) ;;
    *) bad_name "invalid snap name: " "$snap" ;;
  esac
  [ "${#snap}" -le 40 ] || bad_name "invalid snap name: " "$snap"
  case $1 in
    *_*)
      case $key in
        "" | *[!a-z0-9]*) bad_name "invalid instance key: " "$key" ;;
      esac
      [ "${#key}" -le 10 ] || bad_name "invalid instance key: " "$key"
      ;;
  esac
}

# bad_name MESSAGE NAME: refuses NAME, quoted as Go quotes it, after MESSAGE.
bad_name() {
  go_quote "$2"
  die "$1$quoted"
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

# new_temp TARGET: sets $temp to a new, empty temporary file in TARGET's directory, mode 0644
# (the umask above); it is removed on exit unless it was moved into place. (Not in a
# subshell: it records the file.) The shell makes it, with noclobber: a name that exists,
# as a file or a symlink, is never opened, and the next name is taken (one left by a run
# that was killed, with the same process ID). No mktemp process: a first apply writes a
# dozen files per snap, and the directories are root's alone.
new_temp() {
  while :; do
    temp_serial=$((temp_serial + 1))
    temp="${1%/*}/.snap-shm.${1##*/}.$$.$temp_serial"
    [ -e "$temp" ] || [ -L "$temp" ] || break
  done
  # `true`, not `:`: a failed redirection of a special builtin would end the shell.
  set -C
  if ! { true >"$temp"; } 2>/dev/null; then
    set +C
    # Once more, for the shell's reason (a subshell, on this path only).
    reason=$( (set -C && true >"$temp") 2>&1) || true
    die "cannot create a temporary file in ${1%/*}: ${reason##*: }"
  fi
  set +C
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

# replace_file TARGET TEMP MODE [checked]: atomically puts TEMP (same directory, made by
# new_temp) in TARGET's place. `checked`, for a TARGET whose state record_target took before
# it was read: nothing is replaced, and it returns 1, when another writer changed TARGET
# since (see target_unchanged).
replace_file() {
  [ "$3" = 0644 ] || chmod "$3" "$2"
  sync "$2" 2>/dev/null || true
  [ "${4-}" != checked ] || target_unchanged "$1" || return 1
  mv -f "$2" "$1" || die "cannot replace $1"
  sync "${1%/*}" 2>/dev/null || true
}

# split_items TARGET=TEMP...: sets $targets and $temps to the targets and the temporary
# files, each a list of words.
split_items() {
  targets=""
  temps=""
  for item in "$@"; do
    targets="$targets ${item%%=*}"
    temps="$temps ${item#*=}"
  done
}

# What one stat says of a target, one line each: its path, the mode its replacement keeps,
# and what shows that another writer replaced or changed it (the inode: snapd renames a new
# file in; the size; the modification time to the nanosecond).
TARGET_STATE_FORMAT='%n %a %i %s %y'

# record_targets TARGET...: one stat of them all into $recorded_targets, for replace_files,
# taken BEFORE the targets are read for the edit: a target another writer (snapd) replaces
# after that read, even before this stat would have been taken, shows as changed then.
# Nothing to replace, no process.
record_targets() {
  recorded_targets=""
  [ $# -gt 0 ] || return 0
  recorded_targets=$(stat -c "$TARGET_STATE_FORMAT" "$@") || die "cannot read the state of $*"
}

# record_target TARGET: record_targets for one file that may not exist yet ("absent").
record_target() {
  if [ -e "$1" ] || [ -L "$1" ]; then record_targets "$1"; else recorded_targets=absent; fi
}

# target_unchanged TARGET: true when TARGET is as record_target found it, just before it is
# replaced or removed. Otherwise another writer changed it since it was read: see
# targets_raced.
target_unchanged() {
  now=$(stat -c "$TARGET_STATE_FORMAT" "$1" 2>/dev/null) || now=absent
  [ "$now" != "$recorded_targets" ] || return 0
  targets_changed=$1
  targets_raced
  return 1
}

# targets_raced: $targets_changed changed while it was being edited; $temps are the run's
# new texts. Nothing is replaced: the run fails saying so, or, in a self-heal ($edit_again
# set), the temporary files go and the next round edits the new text.
targets_raced() {
  if [ -z "${edit_again-}" ]; then
    die "$targets_changed changed while snap-shm was editing it (snapd rewrote it?): nothing was replaced, so none of the new text is lost; run again to edit the new text"
  fi
  # shellcheck disable=SC2086 # paths without spaces
  rm -f $temps
  note "$targets_changed changed while it was being edited (snapd rewrote it?): nothing was replaced; the next round edits the new text"
}

# replace_files MESSAGE TARGET=TEMP...: replace_file for several files of one directory, with
# the targets of the record_targets before their read, in the same order: each keeps its
# target's mode, with one process per step instead of one per file and step (a snap has
# several profiles). Each replacement is recorded ("MESSAGE TARGET", or "$other_message
# TARGET" for the targets in $other_targets) once made. Paths without spaces.
# Just before the first one, a second stat: a target that another writer replaced or changed
# since it was read would lose that writer's text under ours (snapd rewrites profiles while
# the parser checks ours, for seconds, and a self-heal runs exactly then). Then nothing is
# replaced: the run fails saying so, or, in a self-heal ($edit_again set), the temporary files
# go and $targets_changed names the target, for the next round to edit the new text.
replace_files() {
  message=$1
  shift
  targets_changed=""
  [ $# -gt 0 ] || return 0
  split_items "$@"
  modes=""
  rest=$recorded_targets$NEWLINE
  while [ -n "$rest" ]; do
    line=${rest%%"$NEWLINE"*}
    rest=${rest#*"$NEWLINE"}
    line=${line#* }
    modes="$modes${modes:+ }${line%% *}"
  done
  same=""
  for mode in $modes; do
    if [ -n "$same" ] && [ "$same" != "$mode" ]; then
      same=""
      break
    fi
    same=$mode
  done
  if [ "$same" = 644 ]; then
    : # new_temp made them so
  elif [ -n "$same" ]; then
    # shellcheck disable=SC2086 # paths without spaces
    chmod "$same" $temps
  else
    for item in "$@"; do
      chmod "${modes%% *}" "${item#*=}"
      modes=${modes#* }
    done
  fi
  # shellcheck disable=SC2086 # paths without spaces
  sync $temps 2>/dev/null || true
  # shellcheck disable=SC2086 # paths without spaces
  now=$(stat -c "$TARGET_STATE_FORMAT" $targets 2>/dev/null) || true
  if [ "$now" != "$recorded_targets" ]; then
    first_changed_target "$now"
    targets_raced
    return 0
  fi
  for item in "$@"; do
    mv -f "${item#*=}" "${item%%=*}" || die "cannot replace ${item%%=*}"
    case " ${other_targets-} " in
      *" ${item%%=*} "*) changed "$other_message ${item%%=*}" ;;
      *) changed "$message ${item%%=*}" ;;
    esac
  done
  first_target=${1%%=*}
  sync "${first_target%/*}" 2>/dev/null || true
}

# first_changed_target NOW: sets $targets_changed to the first of $targets whose line in NOW
# (a second stat) is not the one recorded, or that NOW lacks (it is gone).
first_changed_target() {
  was_left=$recorded_targets$NEWLINE
  now_left=$1$NEWLINE
  for target in $targets; do
    was=${was_left%%"$NEWLINE"*}
    was_left=${was_left#*"$NEWLINE"}
    case $now_left in
      "$was$NEWLINE"*) now_left=${now_left#*"$NEWLINE"} ;;
      *)
        targets_changed=$target
        return 0
        ;;
    esac
  done
  targets_changed=${targets# }
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
      via=*) arg_via=$value ;;
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

# Debian's version order (dpkg's verrevcmp, as snapd's strutil.VersionCompare), the same
# rules as src/model/snapd-version.ts, which the tests hold it to. Prints -1, 0 or 1.
# Here, not in snapd-version.sh: every part may need to know which snapd runs (find_snapd).
# shellcheck disable=SC2016 # awk source, not shell
VERSION_COMPARE_AWK='
function order(c) {
  if (c == "" || c ~ /[0-9]/) return 0
  if (c == "~") return -1
  if (c ~ /[A-Za-z]/) return ord[c]
  return ord[c] + 256
}
function fragment(a, b,    i, j, ac, bc, first) {
  i = 1; j = 1
  while (i <= length(a) || j <= length(b)) {
    first = 0
    while ((i <= length(a) && substr(a, i, 1) !~ /[0-9]/) || (j <= length(b) && substr(b, j, 1) !~ /[0-9]/)) {
      ac = order(substr(a, i, 1)); bc = order(substr(b, j, 1))
      if (ac != bc) return ac - bc
      i++; j++
    }
    while (substr(a, i, 1) == "0") i++
    while (substr(b, j, 1) == "0") j++
    while (substr(a, i, 1) ~ /[0-9]/ && substr(b, j, 1) ~ /[0-9]/) {
      if (!first) first = (substr(a, i, 1) + 0) - (substr(b, j, 1) + 0)
      i++; j++
    }
    if (substr(a, i, 1) ~ /[0-9]/) return 1
    if (substr(b, j, 1) ~ /[0-9]/) return -1
    if (first) return first
  }
  return 0
}
function split_version(v, part,    colon, dash) {
  colon = index(v, ":")
  part["epoch"] = colon ? substr(v, 1, colon - 1) + 0 : 0
  v = substr(v, colon + 1)
  dash = 0
  for (k = length(v); k > 0; k--) if (substr(v, k, 1) == "-") { dash = k; break }
  part["upstream"] = dash ? substr(v, 1, dash - 1) : v
  part["revision"] = dash ? substr(v, dash + 1) : ""
}
BEGIN {
  for (k = 33; k < 127; k++) ord[sprintf("%c", k)] = k
  split_version(A, pa); split_version(B, pb)
  r = pa["epoch"] - pb["epoch"]
  if (!r) r = fragment(pa["upstream"], pb["upstream"])
  if (!r) r = fragment(pa["revision"], pb["revision"])
  print (r < 0 ? -1 : r > 0 ? 1 : 0)
}'

# version_compare A B: -1, 0 or 1.
version_compare() {
  awk -v A="$1" -v B="$2" "$VERSION_COMPARE_AWK"
}

# version_order A B: sets $order to -1, 0 or 1, as version_compare prints it. The shell
# decides the usual versions (version_order_shell), without a process; version_compare the
# rest (an epoch, a leading zero, a long number, a revision where the rest is equal...), with
# every rule of dpkg's.
version_order() {
  order=
  case $1$2 in *:*) ;; *) version_order_shell "$1" "$2" ;; esac
  [ -n "$order" ] || order=$(version_compare "$1" "$2")
}

# version_order_shell A B: sets $order where the numbers at the start of A and B, compared
# in turn, decide, or, where they are equal, what follows them does: a revision against the
# end, or the next character by its class alone (character_rank). Up to there both are
# digits and dots, inside the upstream versions, which dpkg compares first. Leaves $order
# empty elsewhere.
version_order_shell() {
  left=$1
  right=$2
  while :; do
    a=${left%%[!0-9]*}
    b=${right%%[!0-9]*}
    case $a in "" | 0?* | ??????????*) return 0 ;; esac
    case $b in "" | 0?* | ??????????*) return 0 ;; esac
    if [ "$a" -ne "$b" ]; then
      order=1
      [ "$a" -gt "$b" ] || order=-1
      return 0
    fi
    left=${left#"$a"}
    right=${right#"$b"}
    # Neither has a colon: the one here parts them.
    case $left:$right in .[0-9]*:.[0-9]*) ;; *) break ;; esac
    left=${left#.}
    right=${right#.}
  done
  # One ended where the other goes on with a hyphen and a number from 1 on (a Debian
  # revision, or more of its upstream version): that one is newer.
  case $left:$right in
    :-[1-9]*) order=-1 && return 0 ;;
    -[1-9]*:) order=1 && return 0 ;;
  esac
  character_rank "$left"
  left_rank=$rank
  character_rank "$right"
  [ -n "$left_rank" ] && [ -n "$rank" ] || return 0
  if [ "$left_rank" -ne "$rank" ]; then
    order=1
    [ "$left_rank" -gt "$rank" ] || order=-1
  elif [ "$rank" -eq 2 ]; then
    order=0
  fi
}

# character_rank TEXT: sets $rank to the class of TEXT's first character in dpkg's order,
# where the class decides against another class: 1 a tilde (before everything, even the
# end), 2 the end, 3 a letter (letters before other characters), 4 a plus sign, 5 a dot.
# Empty for any other character (a hyphen may begin the revision).
character_rank() {
  case $1 in
    "") rank=2 ;;
    "~"*) rank=1 ;;
    [A-Za-z]*) rank=3 ;;
    +*) rank=4 ;;
    .*) rank=5 ;;
    *) rank= ;;
  esac
}

# read_info_version FILE: sets $info_version to the VERSION= of snapd's info FILE, read by
# the shell; empty when there is none.
read_info_version() {
  info_version=
  [ -r "$1" ] || return 0
  while IFS= read -r line || [ -n "$line" ]; do
    case $line in VERSION=*)
      info_version=${line#VERSION=}
      return 0
      ;;
    esac
  done <"$1"
}

# distro_reexecs: snapd re-executes into a snap on classic Debian and Ubuntu and the systems
# like them only (os-release ID or ID_LIKE; not Ubuntu Core), as snapd's release package
# decides. Read by the shell.
distro_reexecs() {
  for os_release in /etc/os-release /usr/lib/os-release; do
    [ -r "$os_release" ] || continue
    like=
    while IFS= read -r line || [ -n "$line" ]; do
      case $line in ID=* | ID_LIKE=*) ;; *) continue ;; esac
      value=${line#*=}
      value=${value#[\"\']}
      value=${value%[\"\']}
      case $line in ID=*) [ "$value" != ubuntu-core ] || return 1 ;; esac
      like="$like $value"
    done <"$os_release"
    case "$like " in *" debian "* | *" ubuntu "*) return 0 ;; esac
    return 1
  done
  return 1
}

# find_snapd: which snapd runs here, once per run. Sets $snapd_dir to the folder of its tools
# and $snapd_info_version to the version its info file gives (both empty when there is none).
# The distribution's snapd (/usr/lib/snapd, /usr/libexec/snapd on some distributions) runs,
# except on Debian and Ubuntu, where it re-executes into the snapd snap (/snap/snapd/current,
# or /snap/core/current where there is no snapd snap) when that snap's snapd is at least as
# new (snapdtool's ExecInSnapdOrCoreSnap, which looks for snapd's binary beside the info file
# both snaps ship). That snapd writes the rules, and its own snap-update-ns applies mount
# profiles. (snapd does not re-execute when its environment has SNAP_REEXEC=0, which a run
# cannot see: a host set up so is taken for the usual one.)
find_snapd() {
  [ -z "${snapd_found-}" ] || return 0
  snapd_found=yes
  snapd_dir=
  snapd_info_version=
  for dir in /usr/lib/snapd /usr/libexec/snapd; do
    read_info_version "$dir/info"
    [ -n "$info_version" ] || continue
    snapd_dir=$dir
    snapd_info_version=$info_version
    break
  done
  [ "$snapd_dir" = /usr/lib/snapd ] || return 0
  for tree in /snap/snapd/current /snap/core/current; do
    [ -e "$tree/usr/lib/snapd/info" ] || continue
    read_info_version "$tree/usr/lib/snapd/info"
    [ -n "$info_version" ] && distro_reexecs || return 0
    version_order "$snapd_info_version" "$info_version"
    [ "$order" -le 0 ] || return 0
    snapd_dir=$tree/usr/lib/snapd
    snapd_info_version=$info_version
    return 0
  done
}

# snap_update_ns: sets $tool to the path of the snap-update-ns that snapd uses, or to nothing:
# the one beside the snapd that runs (find_snapd), else the distribution's, as snapd falls
# back to it.
snap_update_ns() {
  find_snapd
  tool=
  for candidate in "${snapd_dir:-/usr/lib/snapd}/snap-update-ns" /usr/lib/snapd/snap-update-ns /usr/libexec/snapd/snap-update-ns; do
    if [ -x "$candidate" ]; then
      tool=$candidate
      return 0
    fi
  done
}

# find_program NAME: sets $program_path to where NAME runs from in $PATH (as `command -v`
# finds a program), or to nothing; by the shell, without a subshell.
find_program() {
  program_path=
  set -f
  saved_ifs=$IFS
  IFS=:
  for dir in $PATH; do
    if [ -f "${dir:-.}/$1" ] && [ -x "${dir:-.}/$1" ]; then
      program_path=${dir:-.}/$1
      break
    fi
  done
  IFS=$saved_ifs
  set +f
}

# namespace_preserved: the snap has run and snapd keeps its mount namespace. No file there,
# no namespace: the mount table is read only when there is one (a snap that never ran costs
# no process).
namespace_preserved() {
  [ -e "$SNAPD_NS_DIR/$instance.mnt" ] || return 1
  awk -v p="$SNAPD_NS_DIR/$instance.mnt" '$5 == p { for (i = 6; i <= NF; i++) if ($i == "-") { if ($(i + 1) == "nsfs") found = 1; break } }
    END { exit !found }' /proc/self/mountinfo
}

# The record of a part (/var/lib/snap-shm/INSTANCE/PART.revision): the revision, a number
# each apply records when asked, which drift-aware previews read back (a drifted part is
# applied again with the next number); and on a second line the kind of command that
# applied the part last: `shared` (connectionSharing: every part over the host's one
# connection, `via=shared`) or `own` (each part its own connection). A host switched from
# one kind to the other gets new commands, and the engine removes the old ones after the new
# ones have applied the part: the old ones' removal then leaves the part alone.
# read_record: sets $record_file to this part's record, $part_revision to its revision (0
# when none) and $part_via to its kind ("" when none); in variables, as the probe reads it
# for every part.
read_record() {
  record_file=$SNAP_SHM_STATE_DIR/$instance/$part.revision
  part_revision=0
  part_via=""
  recorded=""
  [ -f "$record_file" ] || return 0
  { IFS= read -r recorded && IFS= read -r part_via; } <"$record_file" || true
  case $recorded in '' | *[!0-9]*) ;; *) part_revision=$recorded ;; esac
}

# record_apply: after a successful apply, keeps the revision it was given (or the one
# recorded) and its kind. A part of the default kind that was never recorded, without a
# revision (drift detection off), is left without a record, as before kinds were recorded.
# Not synced: the record is a hint, and one lost in a crash only makes the next run apply the
# part once more. So a first record is written in place, by the shell (no process; nothing
# is there to lose, and one a crash leaves empty or cut short reads as no record); a record
# that is there is replaced atomically.
record_apply() {
  read_record
  revision=${arg_revision:-$part_revision}
  case $revision in *[!0-9]*) die "argument revision is \"$revision\"; it must be a whole number" ;; esac
  [ "$revision" != "$part_revision" ] || [ "$arg_via" != "$part_via" ] || return 0
  [ -n "${arg_revision-}" ] || [ "$arg_via" = shared ] || [ -f "$record_file" ] || return 0
  [ -d "${record_file%/*}" ] || mkdir -p "${record_file%/*}"
  if [ ! -e "$record_file" ] && [ ! -L "$record_file" ]; then
    # noclobber: a name that appeared meanwhile is replaced as below instead.
    set -C
    if write_text "$record_file" "$revision$NEWLINE$arg_via$NEWLINE"; then
      set +C
      return 0
    fi
    set +C
  fi
  new_temp "$record_file"
  write_text "$temp" "$revision$NEWLINE$arg_via$NEWLINE" || die "cannot write $temp: $write_error"
  mv -f "$temp" "$record_file" || die "cannot replace $record_file"
}

# applied_by_other_kind: whether the part's record says a command of the other kind applied
# it last; a removal is then that command's to make, not this one's.
applied_by_other_kind() {
  read_record
  [ -n "$part_via" ] && [ "$part_via" != "$arg_via" ]
}

# forget_revision: after a removal, nothing of the part is left in the state folder.
forget_revision() {
  rm -f "$SNAP_SHM_STATE_DIR/$instance/$part.revision"
  rmdir "$SNAP_SHM_STATE_DIR/$instance" "$SNAP_SHM_STATE_DIR" 2>/dev/null || true
}
