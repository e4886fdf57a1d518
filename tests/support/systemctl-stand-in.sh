#!/bin/sh
# A TEST STAND-IN for systemd's `systemctl`, installed on a test host (a mount namespace, no
# init) as /usr/local/bin/systemctl together with /run/systemd/system, so self-heal takes
# the path it takes where systemd runs. It records every call in /run/systemctl-calls and
# keeps what the calls did under /run/systemctl-stand-in: `enable` and `disable` make and
# remove the WantedBy= links as systemctl does, `start`, `stop`, `restart` and `reset-failed`
# set the state `is-active` reports. A test may write a state (failed) into
# /run/systemctl-stand-in/UNIT.state. It watches no path and runs no unit.
set -eu
state_dir=/run/systemctl-stand-in
unit_dir=/etc/systemd/system
mkdir -p "$state_dir"
printf '%s\n' "$*" >>/run/systemctl-calls

quiet=
command=
units=
for word in "$@"; do
  case $word in
    --quiet | -q) quiet=yes ;;
    --*) ;;
    *) if [ -z "$command" ]; then command=$word; else units="$units $word"; fi ;;
  esac
done

state_of() {
  if [ -f "$state_dir/$1.state" ]; then cat "$state_dir/$1.state"; else printf inactive; fi
}

wanted_by() {
  sed -n 's/^WantedBy=//p' "$unit_dir/$1"
}

status=0
case $command in
  daemon-reload) ;;
  is-enabled)
    for unit in $units; do
      if [ -e "$state_dir/$unit.enabled" ]; then answer=enabled; else answer=disabled status=1; fi
      [ -n "$quiet" ] || echo "$answer"
    done
    ;;
  is-active)
    for unit in $units; do
      answer=$(state_of "$unit")
      [ "$answer" = active ] || status=3
      [ -n "$quiet" ] || echo "$answer"
    done
    ;;
  enable)
    for unit in $units; do
      [ -f "$unit_dir/$unit" ] || { echo "Failed to enable unit: Unit file $unit does not exist." >&2; exit 1; }
      for target in $(wanted_by "$unit"); do
        mkdir -p "$unit_dir/$target.wants"
        ln -sf "$unit_dir/$unit" "$unit_dir/$target.wants/$unit"
        echo "Created symlink $unit_dir/$target.wants/$unit → $unit_dir/$unit." >&2
      done
      : >"$state_dir/$unit.enabled"
    done
    ;;
  disable)
    for unit in $units; do
      for link in "$unit_dir"/*.wants/"$unit"; do
        [ -L "$link" ] || continue
        rm -f "$link"
        rmdir "${link%/*}" 2>/dev/null || true
        echo "Removed \"$link\"." >&2
      done
      rm -f "$state_dir/$unit.enabled"
    done
    ;;
  start | restart)
    for unit in $units; do
      [ -f "$unit_dir/$unit" ] || { echo "Failed to start $unit: Unit $unit not found." >&2; exit 5; }
      echo active >"$state_dir/$unit.state"
    done
    ;;
  stop) for unit in $units; do rm -f "$state_dir/$unit.state"; done ;;
  reset-failed)
    for unit in $units; do
      [ "$(state_of "$unit")" != failed ] || rm -f "$state_dir/$unit.state"
    done
    ;;
  *) echo "systemctl stand-in: no $command" >&2; exit 1 ;;
esac
exit "$status"
