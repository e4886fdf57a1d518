# shellcheck shell=sh
# The prerequisite check, first for every instance on a host: the snap is installed (its
# profiles exist), snapd is new enough and which rule it writes, AppArmor is enabled or
# not, how the live bind can be applied. Read-only.

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

# snapd_version: from /usr/lib/snapd/info, or `snap version`; empty when neither tells.
snapd_version() {
  for info in /usr/lib/snapd/info /usr/libexec/snapd/info; do
    if [ -r "$info" ]; then
      version=$(sed -n 's/^VERSION=//p' "$info")
      if [ -n "$version" ]; then
        printf '%s' "$version"
        return 0
      fi
    fi
  done
  if command -v snap >/dev/null 2>&1; then
    # The client asks the daemon too, and waits long for one that does not answer.
    timeout 10 snap version 2>/dev/null | awk '$1 == "snapd" { print $2; exit }'
  fi
}

prerequisites_check() {
  refuse_symlinked_shm
  version=$(snapd_version)
  case $version in
    "") note "snapd's version is unknown here (no /usr/lib/snapd/info, no snap command): the newest rules are assumed" ;;
    [0-9]*[!A-Za-z0-9.+~:-]* | [!0-9]*) die "snapd reports an unreadable version \"$version\"" ;;
  esac
  if [ -n "$version" ]; then
    found snapdVersion "$(json_string "$version")"
    [ "$(version_compare "$version" "$FIRST_PRIVATE_SHM_VERSION")" -ge 0 ] ||
      die "snapd $version has no private shared memory: it needs snapd $FIRST_PRIVATE_SHM_VERSION or newer"
    if [ "$(version_compare "$version" "$RECURSIVE_RULE_VERSION")" -ge 0 ]; then generation=recursive; else generation=single-level; fi
  else
    found snapdVersion null
    generation=recursive
  fi
  found ruleGeneration "\"$generation\""

  names=""
  for path in "$SNAPD_PROFILE_DIR/snap.$instance".*; do
    case $path in *~ | *"snap.$instance.*") continue ;; esac
    names="$names ${path##*/}"
  done
  # shellcheck disable=SC2086 # names without spaces
  found profiles "$(json_list $names)"
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
  parser=$(command -v apparmor_parser || true)
  found apparmorParser "$(if [ -n "$parser" ]; then json_string "$parser"; else printf null; fi)"
  tool=$(snap_update_ns)
  found snapUpdateNs "$(if [ -n "$tool" ]; then json_string "$tool"; else printf null; fi)"
  if namespace_preserved; then found namespace '"preserved"'; else found namespace '"none"'; fi
}
