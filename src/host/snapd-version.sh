# shellcheck shell=sh
# snapd's version on this host, and what it decides: whether snapd has private shared
# memory at all, and which app rule it writes (`generation=auto`).

FIRST_PRIVATE_SHM_VERSION=2.55.3
RECURSIVE_RULE_VERSION=2.60.2

# Debian's version order (dpkg's verrevcmp, as snapd's strutil.VersionCompare), the same
# rules as src/model/snapd-version.ts, which the tests hold it to. Prints -1, 0 or 1.
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

# version_below THRESHOLD: true when $host_snapd_version sorts before THRESHOLD (N.N.N).
# Where the leading numbers differ (the usual case) the shell decides, without a process;
# otherwise (an epoch, a leading zero, a long number, equal numbers) version_compare does,
# with every rule of dpkg's. The tests hold both to src/model/snapd-version.ts.
version_below() {
  case $host_snapd_version in *:*) rest="" ;; *) rest=$host_snapd_version ;; esac
  wanted=$1.
  while [ -n "$wanted" ]; do
    want=${wanted%%.*}
    wanted=${wanted#*.}
    have=${rest%%[!0-9]*}
    case $have in "" | 0?* | ??????????*) break ;; esac
    if [ "$have" -ne "$want" ]; then
      [ "$have" -gt "$want" ] || return 0
      return 1
    fi
    rest=${rest#"$have"}
    case $rest in .[0-9]*) rest=${rest#.} ;; *) break ;; esac
  done
  [ "$(version_compare "$host_snapd_version" "$1")" -ge 0 ] || return 0
  return 1
}

# read_snapd_version: sets $host_snapd_version from /usr/lib/snapd/info (read by the shell),
# or `snap version`, empty when neither tells; and $host_rule_generation: `none` (snapd has
# no private shared memory), `single-level` or `recursive` (also for an unknown version).
# Once per run: `snap version` may wait on a daemon that does not answer.
read_snapd_version() {
  [ -z "${host_rule_generation-}" ] || return 0
  host_snapd_version=
  for info in /usr/lib/snapd/info /usr/libexec/snapd/info; do
    [ -r "$info" ] || continue
    while IFS= read -r line || [ -n "$line" ]; do
      case $line in VERSION=*) host_snapd_version=${line#VERSION=} && break ;; esac
    done <"$info"
    [ -z "$host_snapd_version" ] || break
  done
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
