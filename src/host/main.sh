# shellcheck shell=sh
# Entry point, last on standard input: `sh -s -- PART ACTION key=value...`.

# report_probe DIFFERENCE...: a probe's verdict; in sync when there is no difference.
report_probe() {
  if [ $# -eq 0 ]; then
    result inSync true
  else
    result inSync false
  fi
  result differs "$(json_list "$@")"
}

trap finish EXIT
part=${1-}
action=${2-}
[ $# -ge 2 ] || die "usage: PART ACTION key=value..."
shift 2
parse_args "$@"
instance=${arg_instance-}
need "$instance" instance
check_instance "$instance"
case "$part $action" in
  "directory apply" | "directory remove" | "apparmor apply" | "apparmor remove" | "mount apply" | "mount remove")
    require_root
    ;;
  "directory probe" | "apparmor probe" | "mount probe" | "prerequisites check") ;;
  *) die "unknown operation \"$part $action\"" ;;
esac
"${part}_$action"
