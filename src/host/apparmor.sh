# shellcheck shell=sh
# The AppArmor part: snapd's private-shm rules, in a block the product owns, just before the
# closing brace of every app and hook profile of the instance and of its snap-update-ns
# profile. A changed profile is checked by the real parser before it replaces the old one,
# and only changed profiles are loaded, in one apparmor_parser call.

# The block edit, in awk (the same rules as src/render/apparmor-profile.ts, which the tests
# hold it to), for several profiles in one process: a first apply edits two or three per
# snap, and the probe reads every one. Each file is read whole, so a missing final newline
# is kept. Environment: SNAP_SHM_JOBS, one job a line, "MODE KIND PATH OUTPUT":
# - MODE check prints the profile's state: in-sync, missing or stale, or "error REASON" for
#   a text that is not one profile (and goes on with the next job);
# - MODE insert or remove puts the new text in OUTPUT (a temporary file made by new_temp),
#   then prints "written"; a text that is not one profile stops the run there with "error
#   REASON", exit status 2. With OUTPUT "-" it prints the text itself, or the reason on
#   standard error (exit status 2).
# KIND says which block goes in: app (SNAP_SHM_APP_BODY, no indent), update-ns
# (SNAP_SHM_UPDATE_NS_BODY, indented two spaces) or given (SNAP_SHM_BODY, SNAP_SHM_INDENT).
# shellcheck disable=SC2016 # awk source, not shell
APPARMOR_BLOCK_AWK='
function trim(s) { sub(/^[ \t\r\f\v]+/, "", s); sub(/[ \t\r\f\v]+$/, "", s); return s }
function braces(s,    i, n, ch, quoted, open) {
  closers = 0; open = 0; quoted = 0; n = length(s)
  for (i = 1; i <= n; i++) {
    ch = substr(s, i, 1)
    if (quoted) { if (ch == "\\") i++; else if (ch == "\"") quoted = 0 }
    else if (ch == "\"") quoted = 1
    else if (ch == "#" && (i == 1 || substr(s, i - 1, 1) ~ /[ \t\r\f\v]/)) break
    else if (ch == "{") open++
    else if (ch == "}") { if (open > 0) open--; else closer_at[++closers] = i }
  }
  openers = open
}
# edit(MODE, TEXT, INDENT, BODY): sets state (check) or out (insert, remove); returns the
# reason TEXT cannot be edited, or "".
function edit(mode, text, indent, body,    n, line, terminated, m, body_line, i, t, c, block, depth, profiles, closing, first, last, existing) {
  n = split(text, line, "\n")
  terminated = (n == 0 || line[n] == "")
  if (terminated && n > 0) n--
  if (mode != "remove") {
    if (substr(body, length(body)) != "\n") return "the block body must end with a newline"
    m = split(substr(body, 1, length(body) - 1), body_line, "\n")
    for (i = 1; i <= m; i++) {
      t = trim(body_line[i])
      if (t == BEGIN_MARK || t == END_MARK) return "the block body must not contain the block markers"
      braces(body_line[i])
      if (closers > 0 || openers > 0) return "the block body must not open or close a block"
    }
    block = indent BEGIN_MARK "\n" body indent END_MARK "\n"
  }
  depth = 0; profiles = 0; closing = 0; first = 0; last = 0
  for (i = 1; i <= n; i++) {
    t = trim(line[i])
    if (t == BEGIN_MARK || t == END_MARK) {
      if (depth != 1) return "the snap-shm block is outside the profile body"
      if (t == BEGIN_MARK) { if (first) return "the snap-shm block begins twice"; first = i }
      else {
        if (!first) return "the snap-shm block ends before it begins"
        if (last) return "the snap-shm block ends twice"
        last = i
      }
      continue
    }
    braces(line[i])
    for (c = 1; c <= closers; c++) {
      depth--
      if (depth < 0) return "a closing brace has no opening brace"
      if (depth == 0) {
        if (trim(substr(line[i], 1, closer_at[c] - 1)) != "") return "the profile closing brace is not at the start of its line"
        closing = i
      }
    }
    for (c = 1; c <= openers; c++) { if (depth == 0) profiles++; depth++ }
  }
  if (profiles == 0) return "the text has no profile (no opening brace)"
  if (profiles > 1) return "the text has " profiles " profiles, not one"
  if (depth != 0 || !closing) return "the profile has no closing brace"
  if (first && !last) return "the snap-shm block begins but never ends"
  if (last == n && !terminated) return "the snap-shm block ends without a newline"
  if (mode == "check") {
    state = "missing"
    if (first) {
      existing = ""
      for (i = first; i <= last; i++) existing = existing line[i] "\n"
      state = (existing == block ? "in-sync" : "stale")
    }
    return ""
  }
  out = ""
  for (i = 1; i <= n; i++) {
    if (first && i >= first && i <= last) {
      if (i == first && mode != "remove") out = out block
      continue
    }
    if (!first && i == closing && mode != "remove") out = out block
    out = out line[i] (i < n || terminated ? "\n" : "")
  }
  return ""
}
BEGIN {
  RS = "\001"; BEGIN_MARK = "# BEGIN snap-shm private-shm"; END_MARK = "# END snap-shm private-shm"
  jobs = split(ENVIRON["SNAP_SHM_JOBS"], job, "\n")
  for (j = 1; j <= jobs; j++) {
    if (job[j] == "") continue
    # Every job gets its line: one that is not four words (a path with a blank) stops the run.
    if (split(job[j], f, " ") != 4) { print "error not a job of four words: " job[j]; exit 2 }
    mode = f[1]; path = f[3]; output = f[4]
    if (f[2] == "update-ns") { indent = "  "; body = ENVIRON["SNAP_SHM_UPDATE_NS_BODY"] }
    else if (f[2] == "app") { indent = ""; body = ENVIRON["SNAP_SHM_APP_BODY"] }
    else { indent = ENVIRON["SNAP_SHM_INDENT"]; body = ENVIRON["SNAP_SHM_BODY"] }
    text = ""; records = 0
    while ((got = (getline record < path)) > 0) text = text (records++ ? RS : "") record
    close(path)
    reason = (got < 0) ? "cannot read " path : edit(mode, text, indent, body)
    if (mode == "check") { print (reason == "" ? state : "error " reason); continue }
    if (reason != "" && output == "-") { print reason > "/dev/stderr"; exit 2 }
    if (reason != "") { print "error " reason; exit 2 }
    if (output == "-") { printf "%s", out; continue }
    printf "%s", out > output
    close(output)
    print "written"
  }
}'

# apparmor_edits: runs the block edit on every job of $jobs (see APPARMOR_BLOCK_AWK), with
# the snippets of the arguments.
apparmor_edits() {
  SNAP_SHM_JOBS=$jobs SNAP_SHM_APP_BODY=${arg_app_snippet-} SNAP_SHM_UPDATE_NS_BODY=${arg_update_ns_snippet-} awk "$APPARMOR_BLOCK_AWK"
}

# apparmor_edit MODE FILE INDENT BODY: the block edit of one file, its text or state printed.
apparmor_edit() {
  SNAP_SHM_JOBS="$1 given $2 -" SNAP_SHM_INDENT=$3 SNAP_SHM_BODY=$4 awk "$APPARMOR_BLOCK_AWK"
}

# profile_kind NAME: sets $kind to the block profile NAME takes (update-ns or app).
profile_kind() {
  case $1 in
    snap-update-ns.*) kind=update-ns ;;
    *) kind=app ;;
  esac
}

# A line of the block's first marker, as grep finds it (the awk trims the same blanks).
BLOCK_BEGIN_LINE='^[[:space:]]*# BEGIN snap-shm private-shm[[:space:]]*$'

# profiles_with_block PATH...: sets $with_block to those of the files that hold a block, in
# one process.
profiles_with_block() {
  with_block=
  [ $# -gt 0 ] || return 0
  if found_paths=$(grep -l -e "$BLOCK_BEGIN_LINE" -- "$@"); then
    for path in $found_paths; do with_block="$with_block $path"; done
  else
    # 1: no file holds it; 2: one could not be read (grep said which, on standard error).
    [ $? -eq 1 ] || die "cannot read the profiles of snap $instance to find snap-shm's block"
  fi
}

# profile_suffix_valid SUFFIX: whether snap.I.SUFFIX can name an app or hook profile (the
# characters of app and hook names, and the "." of "hook.").
profile_suffix_valid() {
  case $1 in "" | *[!A-Za-z0-9.-]*) return 1 ;; esac
}

# instance_profile_files: sets $profile_files to the names of the instance's app and hook
# profiles in snapd's folder, read once per apply or removal (apparmor_args starts it afresh:
# a self-heal's next round must see a profile snapd added meanwhile). The glob is expanded by
# the shell: no process. snapd's temporary files (~) are skipped, and so, with one note per
# run, is a file no snapd profile could be named (a copy made by hand, "snap.I.app copy"):
# its name would break the word lists these scripts keep, and snapd does not manage it.
profile_files_read=""
skipped_profile_files=$NEWLINE
instance_profile_files() {
  [ -z "$profile_files_read" ] || return 0
  profile_files_read=yes
  profile_files=
  for path in "$SNAPD_PROFILE_DIR/snap.$instance".*; do
    [ -f "$path" ] || continue
    case $path in *~) continue ;; esac
    name=${path##*/}
    if ! profile_suffix_valid "${name#"snap.$instance."}"; then
      case $skipped_profile_files in *"$NEWLINE$path$NEWLINE"*) ;; *)
        skipped_profile_files="$skipped_profile_files$path$NEWLINE"
        note "skipped $path: no snapd profile has that name"
        ;;
      esac
      continue
    fi
    profile_files="$profile_files $name"
  done
}

# instance_profiles: sets $instance_paths to every profile of the instance there is:
# snap-update-ns.I and each app and hook profile.
instance_profiles() {
  instance_paths=
  [ ! -f "$SNAPD_PROFILE_DIR/snap-update-ns.$instance" ] || instance_paths=$SNAPD_PROFILE_DIR/snap-update-ns.$instance
  instance_profile_files
  for name in $profile_files; do instance_paths="$instance_paths $SNAPD_PROFILE_DIR/$name"; done
}

# unlisted_profiles: sets $unlisted to the paths of the instance's app and hook profiles that
# the list does not name (an app or hook dropped from the configuration), where the list is
# explicit; a glob lists them all.
unlisted_profiles() {
  unlisted=
  [ -z "$listed_every" ] || return 0
  instance_profile_files
  for name in $profile_files; do
    case " $profile_names " in *" $name "*) continue ;; esac
    unlisted="$unlisted $SNAPD_PROFILE_DIR/$name"
  done
}

# apparmor_args: the profile names (globs expanded, snapd's temporary files skipped) and
# the snippets (with `generation=auto`, the one for the host's snapd).
apparmor_args() {
  need "${arg_profiles-}" profiles
  if [ "$action" != remove ]; then
    resolve_generation
    need "${arg_app_snippet-}" app-snippet
    need "${arg_update_ns_snippet-}" update-ns-snippet
  fi
  # The mark that profiles were replaced and not loaded into the kernel yet.
  not_loaded_mark=$SNAP_SHM_LOCK_DIR/$instance.apparmor-not-loaded
  profile_files_read=""
  profile_names=""
  listed_every=""
  set -f
  # shellcheck disable=SC2086 # the list is words
  set -- $arg_profiles
  set +f
  for word in "$@"; do
    case $word in
      "snap-update-ns.$instance" | "snap.$instance.*") ;;
      "snap.$instance."*) profile_suffix_valid "${word#"snap.$instance."}" || die "invalid profile name \"$word\"" ;;
      *) die "profile \"$word\" does not belong to snap instance $instance" ;;
    esac
    if [ "$word" = "snap.$instance.*" ]; then
      listed_every=yes
      instance_profile_files
      profile_names="$profile_names$profile_files"
    else
      profile_names="$profile_names $word"
    fi
  done
}

# apparmor_body NAME: sets body to the snippet profile NAME takes (update-ns or app/hook).
apparmor_body() {
  case $1 in
    snap-update-ns.*) body=$arg_update_ns_snippet ;;
    *) body=$arg_app_snippet ;;
  esac
}

apparmor_enabled() {
  [ -d "$APPARMOR_SECURITYFS" ] && command -v apparmor_parser >/dev/null 2>&1
}

# wait_for_other_parsers: lets a running apparmor_parser finish first (up to 30 s). snapd
# loads the profiles it has just rewritten: a self-heal triggered by that rewrite must load
# its own after snapd's, or the kernel would keep snapd's profile while the file holds the
# block. Builtins only: no process per /proc entry.
wait_for_other_parsers() {
  tries=0
  while [ "$tries" -lt 300 ]; do
    busy=
    for comm in /proc/[0-9]*/comm; do
      read -r process_name 2>/dev/null <"$comm" || continue
      if [ "$process_name" = apparmor_parser ]; then
        busy=yes
        break
      fi
    done
    [ -n "$busy" ] || return 0
    [ "$tries" -gt 0 ] || note "waited for another apparmor_parser to finish before loading"
    tries=$((tries + 1))
    sleep 0.1
  done
  note "another apparmor_parser has run for over 30 s: loading anyway"
}

# apparmor_mark_not_loaded TARGET=TEMP...: where AppArmor is enabled, the not-loaded mark
# goes down before the first profile is replaced, and only a load takes it away: a run
# stopped in between (a failed load, a replacement failing halfway, a kill) leaves profiles
# that the files hold and the kernel lacks, which the next apply would find in sync and never
# load. It finds the mark instead, and loads every profile of the instance.
apparmor_mark_not_loaded() {
  [ $# -gt 0 ] && apparmor_enabled || return 0
  : >"$not_loaded_mark"
}

# apparmor_reload_list TARGET=TEMP...: sets $reload to the profiles to load: the ones this
# run replaced, and, when an earlier run left the not-loaded mark ($earlier_not_loaded), every
# listed profile of the instance there is.
apparmor_reload_list() {
  reload=""
  if [ -n "$earlier_not_loaded" ]; then
    for name in $profile_names; do
      [ ! -f "$SNAPD_PROFILE_DIR/$name" ] || reload="$reload $SNAPD_PROFILE_DIR/$name"
    done
  fi
  # And those this run replaced (an unlisted profile that lost its block, too).
  for item in "$@"; do
    case "$reload " in *" ${item%%=*} "*) ;; *) reload="$reload ${item%%=*}" ;; esac
  done
}

# apparmor_load PATH...: loads changed profiles the way snapd does, or says why not.
apparmor_load() {
  [ $# -gt 0 ] || return 0
  if ! apparmor_enabled; then
    found apparmor '"disabled"'
    note "AppArmor is not enabled on this host (no $APPARMOR_SECURITYFS or no apparmor_parser): profiles written, not loaded"
    return 0
  fi
  found apparmor '"enabled"'
  wait_for_other_parsers
  if ! output=$(apparmor_parser --replace --write-cache --cache-loc="$APPARMOR_CACHE_DIR" --skip-read-cache "$@" 2>&1); then
    die "apparmor_parser --replace failed: $output (the files hold the new rules; the next apply loads them again)"
  fi
  rm -f "$not_loaded_mark"
  changed "loaded $# profile(s) into the kernel"
}

# apparmor_check_all PATH=TEMP...: every new text through the real parser, in one call (it
# compiles them in parallel); when it refuses, one at a time, to name the profile.
apparmor_check_all() {
  [ $# -gt 0 ] && command -v apparmor_parser >/dev/null 2>&1 || return 0
  temps=""
  for item in "$@"; do temps="$temps ${item#*=}"; done
  # shellcheck disable=SC2086 # paths without spaces
  apparmor_parser -QK $temps >/dev/null 2>&1 && return 0
  for item in "$@"; do
    path=${item%%=*}
    temp=${item#*=}
    if ! output=$(apparmor_parser -QK "$temp" 2>&1); then
      # Name the profile, not the temporary file; drop the parser's cache notice.
      reason=$(printf '%s\n' "$output" | grep -v '^Cache read/write disabled' | sed "s|$temp|$path|g")
      die "apparmor_parser rejects the new $path: $reason; the old profile is kept"
    fi
  done
}

# apparmor_edit_pending: the edits of $jobs, each new text into its temporary file (TARGET=TEMP
# in $pending, in the same order), in one run. A text that is not one profile stops the run,
# naming the file. When the edit run itself fails (a write to a full disk), each edit runs
# once more on its own, its text written by the shell, which says where and why.
apparmor_edit_pending() {
  [ -n "$jobs" ] || return 0
  edited=$(apparmor_edits 2>&1) && return 0
  case ${edited##*"$NEWLINE"} in
    "error "*)
      # The edit that failed is the one after the last "written".
      failed=${pending# }
      while [ "${edited%%"$NEWLINE"*}" = written ]; do
        edited=${edited#*"$NEWLINE"}
        failed=${failed#* }
      done
      failed=${failed%% *}
      die "cannot edit ${failed%%=*}: ${edited#error }; the file is left as it is"
      ;;
  esac
  all_jobs=$jobs
  set -f
  while [ -n "$all_jobs" ]; do
    job=${all_jobs%%"$NEWLINE"*}
    case $all_jobs in *"$NEWLINE"*) all_jobs=${all_jobs#*"$NEWLINE"} ;; *) all_jobs="" ;; esac
    # shellcheck disable=SC2086 # four words
    set -- $job
    [ $# -eq 4 ] || continue
    jobs="$1 $2 $3 -"
    profile_text=$(apparmor_edits 2>&1 && printf .) || die "cannot edit $3: ${profile_text:-awk failed}; the file is left as it is"
    write_text "$4" "${profile_text%.}" || die "cannot edit $3: $write_error; the file is left as it is"
  done
  set +f
}

apparmor_apply() {
  apparmor_args
  lock_instance
  earlier_not_loaded=""
  [ ! -e "$not_loaded_mark" ] || earlier_not_loaded=yes
  # A first read, of every profile in one run, finds the profiles to change; one in sync is
  # only read: no temporary file beside it, no file time changed.
  jobs=""
  for name in $profile_names; do
    path=$SNAPD_PROFILE_DIR/$name
    [ -f "$path" ] || die "cannot find $path: is snap $instance installed, with that app or hook?"
    profile_kind "$name"
    jobs="$jobs$NEWLINE""check $kind $path -"
  done
  checked=""
  if [ -n "$jobs" ]; then
    checked=$(apparmor_edits 2>&1) || die "cannot read the profiles of snap $instance: ${checked:-awk failed}"
  fi
  rest=$checked$NEWLINE
  stale=""
  states=""
  for name in $profile_names; do
    state=${rest%%"$NEWLINE"*}
    rest=${rest#*"$NEWLINE"}
    case $state in
      in-sync)
        states="$states${states:+,}\"$name\":\"in-sync\""
        continue
        ;;
      missing | stale) ;;
      "error "*) die "cannot edit $SNAPD_PROFILE_DIR/$name: ${state#error }; the file is left as it is" ;;
      *) die "cannot edit $SNAPD_PROFILE_DIR/$name: ${state:-awk failed}; the file is left as it is" ;;
    esac
    states="$states${states:+,}\"$name\":\"updated\""
    stale="$stale $SNAPD_PROFILE_DIR/$name"
  done
  # The profiles of apps and hooks no longer listed lose the block they were given.
  unlisted_profiles
  # shellcheck disable=SC2086 # paths without spaces
  profiles_with_block $unlisted
  for path in $with_block; do
    states="$states${states:+,}\"${path##*/}\":\"unlisted-block-removed\""
  done
  found profiles "{$states}"
  # Each profile to change is read again for its new text, after a stat of it: a profile
  # snapd replaces after that stat, while the others are read or the parser checks them, is
  # not replaced by a text made from its old one.
  # shellcheck disable=SC2086 # paths without spaces
  record_targets $stale $with_block
  pending=""
  jobs=""
  for path in $stale $with_block; do
    case " $with_block " in
      *" $path "*) edit=remove ;;
      *) edit=insert ;;
    esac
    profile_kind "${path##*/}"
    new_temp "$path"
    jobs="$jobs$NEWLINE$edit $kind $path $temp"
    pending="$pending $path=$temp"
  done
  apparmor_edit_pending
  [ -z "$pending" ] || command -v apparmor_parser >/dev/null 2>&1 ||
    note "apparmor_parser is not installed: the new profiles were not checked before replacing them"
  # shellcheck disable=SC2086 # words
  apparmor_check_all $pending
  # Every new text passed the parser; only now does any file change.
  # shellcheck disable=SC2086 # words
  apparmor_mark_not_loaded $pending
  other_targets=$with_block
  other_message="removed the private-shm block (its app or hook is no longer listed) from"
  # shellcheck disable=SC2086 # words
  replace_files "put the private-shm block into" $pending
  [ -z "$targets_changed" ] || return 0
  # shellcheck disable=SC2086 # words
  apparmor_reload_list $pending
  # shellcheck disable=SC2086 # paths without spaces
  apparmor_load $reload
}

# edit_out_blocks: the block taken out of every profile of the instance that holds one,
# listed or not (one grep finds them), each into a temporary file (one awk edits them all):
# $pending holds TARGET=TEMP for replace_files. Their state is taken before the read their
# new text comes from; every one is edited before any is replaced, so a failed edit leaves
# them all as they were.
edit_out_blocks() {
  instance_profiles
  # shellcheck disable=SC2086 # paths without spaces
  profiles_with_block $instance_paths
  # shellcheck disable=SC2086 # paths without spaces
  record_targets $with_block
  pending=""
  jobs=""
  for path in $with_block; do
    new_temp "$path"
    jobs="$jobs$NEWLINE""remove app $path $temp"
    pending="$pending $path=$temp"
  done
  apparmor_edit_pending
}

# apparmor_remove: the block goes from snap-update-ns.I and from every app and hook profile of
# the instance, whatever the list names (an app or hook dropped from the configuration since
# the block went in keeps it otherwise). One grep finds the profiles that hold it.
apparmor_remove() {
  apparmor_args
  lock_instance
  earlier_not_loaded=""
  [ ! -e "$not_loaded_mark" ] || earlier_not_loaded=yes
  for name in $profile_names; do
    [ -f "$SNAPD_PROFILE_DIR/$name" ] || note "$SNAPD_PROFILE_DIR/$name is gone: nothing to remove there"
  done
  edit_out_blocks
  # shellcheck disable=SC2086 # words
  apparmor_mark_not_loaded $pending
  other_targets=
  # shellcheck disable=SC2086 # words
  replace_files "removed the private-shm block from" $pending
  [ -z "$targets_changed" ] || return 0
  # shellcheck disable=SC2086 # words
  apparmor_reload_list $pending
  # shellcheck disable=SC2086 # paths without spaces
  apparmor_load $reload
}

apparmor_probe() {
  apparmor_args
  # Every profile there is, read in one run.
  jobs=""
  present=" "
  for name in $profile_names; do
    path=$SNAPD_PROFILE_DIR/$name
    [ -f "$path" ] || continue
    profile_kind "$name"
    jobs="$jobs$NEWLINE""check $kind $path -"
    present="$present$name "
  done
  checked=""
  if [ -n "$jobs" ]; then
    checked=$(apparmor_edits 2>&1) || checked=""
  fi
  rest=$checked$NEWLINE
  states=""
  differs=""
  for name in $profile_names; do
    state="missing-profile"
    case $present in
      *" $name "*)
        state=${rest%%"$NEWLINE"*}
        rest=${rest#*"$NEWLINE"}
        case $state in
          in-sync | missing | stale) ;;
          "error "*) state="unreadable: ${state#error }" ;;
          *) state="unreadable: ${state:-awk failed}" ;;
        esac
        ;;
    esac
    json_quote "$name"
    key=$json
    json_quote "$state"
    states="$states${states:+,}$key:$json"
    case $state in
      in-sync) ;;
      "unreadable: "*) differs="$differs $name=unreadable" ;;
      *) differs="$differs $name=$state" ;;
    esac
  done
  # A block left in the profile of an app or hook no longer listed is a difference too.
  unlisted_profiles
  # shellcheck disable=SC2086 # paths without spaces
  profiles_with_block $unlisted
  for path in $with_block; do
    states="$states${states:+,}\"${path##*/}\":\"unlisted-block\""
    differs="$differs ${path##*/}=unlisted-block"
  done
  found profiles "{$states}"
  if apparmor_enabled; then found apparmor '"enabled"'; else found apparmor '"disabled"'; fi
  # shellcheck disable=SC2086 # words
  report_probe $differs
}
