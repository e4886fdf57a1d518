# shellcheck shell=sh
# Entry point, last on standard input: `sh -s -- PART ACTION key=value...`.

# function_name PART: sets $function_name to the part's name as its functions begin
# (self-heal: self_heal); parameter expansion, no subshell, as the probe does it per part.
function_name() {
  function_name=$1
  while :; do
    case $function_name in
      *-*) function_name=${function_name%%-*}_${function_name#*-} ;;
      *) break ;;
    esac
  done
}

# report_probe DIFFERENCE...: a probe's verdict; in sync when there is no difference.
report_probe() {
  if [ $# -eq 0 ]; then
    result inSync true
  else
    result inSync false
  fi
  json_list "$@"
  result differs "$json"
}

# probe_instance: every part's probe for the instance whose arguments are parsed, one
# result line each.
probe_instance() {
  (
    finish_on_exit
    part=prerequisites
    action=probe
    check_instance "$instance"
    # An instance with a bad generation is not probed at all.
    resolve_generation
    # The snap's own declaration, for the program to read with snapd's rules (mode auto).
    (
      finish_on_exit
      part=snap
      yaml="/snap/$instance/current/meta/snap.yaml"
      if [ -r "$yaml" ]; then found_string snapYaml "$(cat "$yaml")"; else found snapYaml null; fi
      found_string_or_null snapdVersion "$host_snapd_version"
    )
    case ${arg_operation_mode-auto} in
      # Only an installed snap can declare a plug snapd would serve natively.
      auto) if [ -r "/snap/$instance/current/meta/snap.yaml" ]; then modes="managed native"; else modes=managed; fi ;;
      managed | native) modes=$arg_operation_mode ;;
      *) die "argument operation-mode is \"$arg_operation_mode\"; it must be auto, managed or native" ;;
    esac
    for probed in directory apparmor mount self-heal; do
      for probed_mode in $modes; do
        (
          finish_on_exit
          part=$probed
          function_name "$probed"
          probe=${function_name}_probe
          if [ "$probed_mode" = native ]; then "native_$probe"; else "$probe"; fi
          result mode "\"$probed_mode\""
          read_record
          result revision "$part_revision"
        )
      done
    done
    trap - EXIT
  )
}

# host_probe GROUP...: probes every instance on the host in one run; each `instance=`
# argument starts the next instance's arguments.
host_probe() {
  # Read once for every instance.
  read_snapd_version
  for pair in "$@"; do
    case $pair in
      instance=*)
        [ -z "$instance" ] || probe_instance || note "could not probe instance $instance"
        unset arg_path arg_mode arg_owner arg_group arg_profiles arg_app_snippet arg_update_ns_snippet \
          arg_profile arg_entry arg_generation arg_app_snippet_single_level arg_app_snippet_recursive arg_plug arg_operation_mode \
          arg_self_heal
        instance=${pair#instance=}
        ;;
      *) parse_args "$pair" ;;
    esac
  done
  [ -z "$instance" ] || probe_instance || note "could not probe instance $instance"
  part=host
  action=probe
  instance=""
}

finish_on_exit
part=${1-}
action=${2-}
[ $# -ge 2 ] || die "usage: PART ACTION key=value..."
shift 2
if [ "$part $action" = "host probe" ]; then
  host_probe "$@"
  exit 0
fi
parse_args "$@"
instance=${arg_instance-}
need "$instance" instance
check_instance "$instance"
case "$part $action" in
  "directory apply" | "directory remove" | "apparmor apply" | "apparmor remove" | "mount apply" | "mount remove" | \
    "self-heal apply" | "self-heal remove" | "self-heal run")
    require_root
    ;;
  "directory probe" | "apparmor probe" | "mount probe" | "self-heal probe") ;;
  *) die "unknown operation \"$part $action\"" ;;
esac
case ${arg_via:=own} in
  own | shared) ;;
  *) die "argument via is \"$arg_via\"; it must be own or shared" ;;
esac
if [ "$action" = remove ] && applied_by_other_kind; then
  note "left in place: a command of the other kind (via=$part_via) has applied this part since, and removes it when it goes"
  exit 0
fi
# The prerequisite check comes first in every instance's chain: the directory apply runs it
# (after checking its own arguments) before it changes anything, and reports its findings
# as "host".
if [ "$part $action" = "directory apply" ]; then
  directory_args
  prerequisites_check
  result host "{$result_found}"
  result_found=""
fi
function_name "$part"
operation=${function_name}_$action
case ${arg_operation_mode-managed} in
  managed) "$operation" ;;
  native)
    case "$part $action" in
      # Self-heal reads the mode itself: in native mode its apply takes away what it had installed.
      "self-heal apply" | "self-heal remove" | "self-heal run") "$operation" ;;
      *" remove") native_remove ;;
      *) "native_$operation" ;;
    esac
    ;;
  *) die "argument operation-mode is \"$arg_operation_mode\"; it must be managed or native" ;;
esac
case $action in
  apply) record_apply ;;
  remove) forget_revision ;;
esac
