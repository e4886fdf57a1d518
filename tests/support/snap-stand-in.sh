#!/bin/sh
# TEST STAND-IN for snapd's `snap` command on a test host: not snapd. It answers the three
# commands native mode uses as snapd 2.57.6 does (output shapes from
# ../shared/reference/snapd-private-shm.md) and, on `snap connect`, writes what snapd writes
# for a connected private shared-memory plug: the mount-profile line, the app and hook rules
# and the snap-update-ns rules (dropping hand edits in those profiles, as snapd's
# regeneration does), then applies the profile to a preserved namespace with snapd's real
# snap-update-ns. Its state: /var/lib/snapd/stand-in/I.plugs (the snap's shared-memory plugs,
# one name per line, written by the test) and I.connected (PLUG NOTES).
set -eu
state=/var/lib/snapd/stand-in
profiles=/var/lib/snapd/apparmor/profiles

fail() {
  printf 'error: %s\n' "$1" >&2
  exit 1
}

installed() {
  [ -r "/snap/$1/current/meta/snap.yaml" ] || fail "snap \"$1\" not found"
}

# replace FILE: FILE's new content from standard input, written atomically.
replace() {
  cat >"$1.stand-in.tmp"
  mv -f "$1.stand-in.tmp" "$1"
}

# regenerate PROFILE SNIPPET: drops snap-shm's block, adds snapd's snippet before the
# profile's closing brace (once).
regenerate() {
  SNIPPET=$2 awk '
    /^[[:space:]]*# BEGIN snap-shm private-shm$/ { skip = 1 }
    !skip { lines[++n] = $0 }
    /^[[:space:]]*# END snap-shm private-shm$/ { skip = 0 }
    END {
      for (i = n; i > 0; i--) if (lines[i] == "}") { close_at = i; break }
      for (i = 1; i <= n; i++) {
        if (i == close_at && index(text, ENVIRON["SNIPPET"]) == 0) print ENVIRON["SNIPPET"]
        print lines[i]; text = text lines[i] "\n"
      }
    }' "$1" | replace "$1"
}

connect() {
  plug=${1#*:}
  instance=${1%%:*}
  [ "${2-}" = :shared-memory ] || fail "the stand-in connects only to :shared-memory"
  installed "$instance"
  grep -qxF -- "$plug" "$state/$instance.plugs" 2>/dev/null || fail "snap \"$instance\" has no plug named \"$plug\""
  [ ! -L /dev/shm ] || fail "cannot connect $instance:$plug (\"shared-memory plug with \\\"private: true\\\" cannot be connected if \\\"/dev/shm\\\" is a symlink\")"
  line="/dev/shm/snap.$instance /dev/shm none bind,rw 0 0"
  fstab=/var/lib/snapd/mount/snap.$instance.fstab
  { grep -F 'x-snapd.origin=overname' "$fstab" 2>/dev/null || true; printf '%s\n' "$line"; } | replace "$fstab"
  chmod 0644 "$fstab"
  app_rule='
# Description: Allow access to everything in private /dev/shm
"/dev/shm/*" mrwlkix,'
  update_ns_rules="  # Private /dev/shm
  /dev/ r,
  /dev/shm/{,**} rw,
  mount options=(bind, rw) /dev/shm/snap.$instance/ -> /dev/shm/,
  umount /dev/shm/,"
  for profile in "$profiles/snap.$instance".*; do
    [ -f "$profile" ] && regenerate "$profile" "$app_rule"
  done
  regenerate "$profiles/snap-update-ns.$instance" "$update_ns_rules"
  printf '%s manual\n' "$plug" | replace "$state/$instance.connected"
  if [ -e "/run/snapd/ns/$instance.mnt" ]; then
    /usr/lib/snapd/snap-update-ns "$instance" >/dev/null 2>&1 || fail "cannot update the mount namespace of snap \"$instance\""
  fi
}

connections() {
  instance=$1
  installed "$instance"
  connected=$(cat "$state/$instance.connected" 2>/dev/null || true)
  {
    printf 'Interface\tPlug\tSlot\tNotes\n'
    while IFS= read -r plug; do
      [ -n "$plug" ] || continue
      if [ "${connected%% *}" = "$plug" ]; then
        printf 'shared-memory\t%s:%s\t:shared-memory\t%s\n' "$instance" "$plug" "${connected#* }"
      else
        printf 'shared-memory\t%s:%s\t-\t-\n' "$instance" "$plug"
      fi
    done <"$state/$instance.plugs"
  } | awk -F '\t' '
    # Columns padded as Go'"'"'s tabwriter pads them (two spaces after the widest cell).
    { rows[NR] = $0; for (i = 1; i <= NF; i++) if (length($i) > width[i]) width[i] = length($i) }
    END {
      for (r = 1; r <= NR; r++) {
        n = split(rows[r], cell, "\t"); out = ""
        for (i = 1; i < n; i++) out = out sprintf("%-" width[i] + 2 "s", cell[i])
        print out cell[n]
      }
    }'
}

case ${1-} in
  version) printf 'snap    2.57.6\nsnapd   2.57.6\nseries  16\ndebian  12\nkernel  %s\n' "$(uname -r)" ;;
  connections) connections "$2" ;;
  connect) connect "$2" "${3-}" ;;
  *) fail "the test stand-in does not answer \"$*\"" ;;
esac
