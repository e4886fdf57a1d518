#!/bin/sh
# One snap-shm operation on a host over the host's shared SSH connection (OpenSSH's
# connection sharing), as a part's `local.Command` runs it with `connectionSharing`, from
# the command's environment (so a command stored in the state runs anywhere):
#
#   set -- HOST PORT USER PER_DIAL_TIMEOUT DIAL_ATTEMPTS SOCKET [BASTION PORT USER PER_DIAL_TIMEOUT DIAL_ATTEMPTS]; eval "$SNAP_SHM_SHARED_SSH" 3<<'SNAP_SHM_OPERATION'
#   REMOTE_COMMAND
#   SNAP_SHM_OPERATION
#
# The remote command comes on descriptor 3, a here-document, word for word as the host
# receives it (a preview shows it as it shows a remote.Command's); standard input goes to it
# (the part's script, for `sh -s`).
#
# The drift probe's ssh opens the host's connection and keeps it open in the background
# (ControlMaster, ControlPersist) with its socket in ~/.snap-shm (SOCKET, a name the program
# derives from the host, port and user, as the probe names it); each operation after it is
# one session over that connection, about 10 ms where a connection of its own takes 80 to
# 200 ms.
#
# Where no connection is open (the probe did not run: drift detection off, a host taken out
# of the program, a connection closed since), this operation connects itself and keeps its
# connection open for the operations after it. Its credentials come in its environment,
# never on a command line: SNAP_SHM_PRIVATE_KEY (loaded into an ssh-agent of its own, with
# SNAP_SHM_PRIVATE_KEY_PASSWORD), SNAP_SHM_PASSWORD (answered by an askpass helper),
# SNAP_SHM_AGENT_SOCKET (an agent to use), SNAP_SHM_KNOWN_HOST (the known_hosts line that
# pins the host's key; without it the key is not checked, as @pulumi/command without hostKey).
# Behind a bastion, the connection goes through an ssh of the bastion's own (its ProxyCommand)
# with the bastion's credentials, alike: SNAP_SHM_PROXY_PRIVATE_KEY (into the same agent),
# SNAP_SHM_PROXY_PRIVATE_KEY_PASSWORD, SNAP_SHM_PROXY_PASSWORD, SNAP_SHM_PROXY_AGENT_SOCKET,
# SNAP_SHM_PROXY_KNOWN_HOST. They are read into files of a private folder, taken out of the
# environment before ssh starts (the connection it leaves behind keeps no copy), and removed
# when ssh is done.
set -u

fail() {
  printf 'snap-shm: %s\n' "$1" >&2
  exit 255
}

# forget_credentials: the secrets (and this script) out of the environment, before ssh starts.
forget_credentials() {
  unset SNAP_SHM_PRIVATE_KEY SNAP_SHM_PRIVATE_KEY_PASSWORD SNAP_SHM_PASSWORD SNAP_SHM_PROXY_PRIVATE_KEY SNAP_SHM_PROXY_PRIVATE_KEY_PASSWORD SNAP_SHM_PROXY_PASSWORD SNAP_SHM_SHARED_SSH
}

[ $# -eq 6 ] || [ $# -eq 11 ] || fail "usage: shared-ssh.sh HOST PORT USER PER_DIAL_TIMEOUT DIAL_ATTEMPTS SOCKET [BASTION PORT USER PER_DIAL_TIMEOUT DIAL_ATTEMPTS] 3<REMOTE_COMMAND"
host=$1
port=$2
user=$3
per_dial_timeout=$4
dial_attempts=$5
socket_name=$6
# The bastion's part, for its ssh's ProxyCommand, which reads it from the environment.
bastion=""
if [ $# -eq 11 ]; then
  shift 6
  bastion=$1
  SNAP_SHM_HOP_HOST=$1 SNAP_SHM_HOP_PORT=$2 SNAP_SHM_HOP_USER=$3 SNAP_SHM_HOP_TIMEOUT=$4 SNAP_SHM_HOP_ATTEMPTS=$5
fi
# The remote command, read by the shell itself (no process), without the here-document's
# last newline.
remote_command=""
line=""
newline='
'
while IFS= read -r line <&3; do remote_command=$remote_command$line$newline; done
if [ -n "$line" ]; then remote_command=$remote_command$line; else remote_command=${remote_command%"$newline"}; fi
exec 3<&-
[ -n "$remote_command" ] || fail "no remote command on descriptor 3"
case $socket_name in cm-*) ;; *) fail "invalid socket name \"$socket_name\"" ;; esac
case ${socket_name#cm-} in '' | *[!0-9a-f]*) fail "invalid socket name \"$socket_name\"" ;; esac

[ -n "${HOME-}" ] || fail "HOME is not set: the shared connections' sockets live in \$HOME/.snap-shm"
control_dir=$HOME/.snap-shm
# ssh expands % in ControlPath: this one has none to expand.
case $control_dir in *%*) fail "cannot keep connection sockets in $control_dir: its path holds a %" ;; esac
socket=$control_dir/$socket_name

# The sockets let whoever can open them run commands on the hosts: the folder must be this
# user's own and closed to everyone else. The program checks it on every run before the
# probe opens the connection; only this user can change it since.
{ [ ! -e "$control_dir" ] || { [ -O "$control_dir" ] && [ ! -L "$control_dir" ]; }; } || fail "$control_dir is not a folder of this user's own"

# The usual case: the probe's connection is open (no process spent finding out). Only that
# connection may serve this ssh, which is given none of the credentials: a socket whose
# connection died unclosed (a killed ssh, a reboot) is removed by it, and where it would then
# connect on its own, with whatever keys and known hosts this user has, its ProxyCommand
# refuses and says why. This operation fails once; the next run opens a new connection.
if [ -S "$socket" ]; then
  forget_credentials
  no_connection="sh -c 'echo \"snap-shm: the shared SSH connection to the host had ended without closing its socket (a killed ssh, a reboot): the socket is removed, this operation did not run, and the next run opens a new connection\" >&2'"
  exec ssh -F /dev/null -o LogLevel=ERROR -o "ControlPath=$socket" -o ControlMaster=auto -o "ProxyCommand=$no_connection" -o BatchMode=yes -p "$port" -l "$user" -T -- "$host" "$remote_command"
fi

# None open: this operation opens it, in a folder made and checked as the program does.
[ -d "$control_dir" ] || (umask 077 && mkdir -p "$control_dir") || fail "cannot make $control_dir"
case $(ls -ld "$control_dir") in
  d???------*) ;;
  *) fail "$control_dir is open to other users: it must be mode 0700" ;;
esac

work=$(umask 077 && mktemp -d "$control_dir/run.XXXXXXXX") || fail "cannot make a private folder in $control_dir"
agent_pid=""
clean_up() {
  [ -z "$agent_pid" ] || kill "$agent_pid" 2>/dev/null
  rm -rf "$work"
}
trap clean_up EXIT
trap 'exit 129' HUP
trap 'exit 130' INT
trap 'exit 143' TERM

# Connects, and stays in the background for the operations after this one.
set -- -F /dev/null -o LogLevel=ERROR -o "ControlPath=$socket" -o ControlMaster=auto -o ControlPersist=60 \
  -o "ConnectTimeout=$per_dial_timeout" -o "ConnectionAttempts=$dial_attempts" -o ServerAliveInterval=15 -p "$port" -l "$user"

# asked_once NAME VALUE: VALUE in a file of the private folder, and $work/ask-NAME, an askpass
# helper that prints it once and fails when asked again (ssh-add asks again after a wrong
# passphrase for as long as its helper answers).
asked_once() {
  printf '%s\n' "$2" >"$work/$1" || fail "cannot write $work/$1"
  printf '#!/bin/sh\nmkdir %s 2>/dev/null || exit 1\nexec cat %s\n' "'$work/asked-$1'" "'$work/$1'" >"$work/ask-$1" || fail "cannot write $work/ask-$1"
  chmod 700 "$work/ask-$1" || fail "cannot make $work/ask-$1 executable"
}

# load_key KEY PASSPHRASE WHOSE FIELD: KEY into this run's ssh-agent (started by the first
# key), its PASSPHRASE answered once; WHOSE and FIELD name them when ssh-add refuses.
load_key() {
  if [ -z "$agent_pid" ]; then
    agent_env=$(ssh-agent -s -a "$work/agent") || fail "cannot start ssh-agent"
    agent_pid=$(printf '%s\n' "$agent_env" | sed -n 's/^SSH_AGENT_PID=\([0-9]*\);.*/\1/p')
  fi
  if [ -n "$2" ]; then
    asked_once "passphrase-$3" "$2"
    added=$(printf '%s\n' "$1" | SSH_AUTH_SOCK=$work/agent SSH_ASKPASS=$work/ask-passphrase-$3 SSH_ASKPASS_REQUIRE=force DISPLAY=:0 ssh-add -q - 2>&1) ||
      fail "ssh-add refused the $3's private key: $added (is $4 right?)"
  else
    added=$(printf '%s\n' "$1" | SSH_AUTH_SOCK=$work/agent ssh-add -q - 2>&1) ||
      fail "ssh-add refused the $3's private key: $added"
  fi
}

if [ -n "${SNAP_SHM_KNOWN_HOST-}" ]; then
  printf '%s\n' "$SNAP_SHM_KNOWN_HOST" >"$work/known_hosts" || fail "cannot write $work/known_hosts"
  set -- "$@" -o StrictHostKeyChecking=yes -o "UserKnownHostsFile=$work/known_hosts" -o GlobalKnownHostsFile=/dev/null
else
  set -- "$@" -o StrictHostKeyChecking=no -o UserKnownHostsFile=/dev/null -o GlobalKnownHostsFile=/dev/null
fi

if [ -n "${SNAP_SHM_PRIVATE_KEY-}" ]; then
  load_key "$SNAP_SHM_PRIVATE_KEY" "${SNAP_SHM_PRIVATE_KEY_PASSWORD-}" connection privateKeyPassword
  set -- "$@" -o "IdentityAgent=$work/agent"
elif [ -n "${SNAP_SHM_AGENT_SOCKET-}" ]; then
  set -- "$@" -o "IdentityAgent=$SNAP_SHM_AGENT_SOCKET"
fi

if [ -n "${SNAP_SHM_PASSWORD-}" ]; then
  asked_once password "$SNAP_SHM_PASSWORD"
  # As the command provider's client: password or keyboard-interactive login.
  set -- "$@" -o BatchMode=no -o PreferredAuthentications=password,keyboard-interactive,publickey -o NumberOfPasswordPrompts=1
  export SSH_ASKPASS="$work/ask-password" SSH_ASKPASS_REQUIRE=force DISPLAY=:0
else
  set -- "$@" -o BatchMode=yes
fi

# Through the bastion: its ssh, started by this one's ProxyCommand (under /bin/sh, whatever
# this user's shell), takes every value from the environment, so no path or name is quoted
# into a command line; the same choices as for the host above (with neither a key nor an
# agent given, the agent of SSH_AUTH_SOCK, as ssh's default), with a password of its own.
# Its standard error goes to a report (ssh sends a persisting connection's ProxyCommand's to
# /dev/null), said after a failed connection, each line named after the bastion.
if [ -n "$bastion" ]; then
  SNAP_SHM_HOP_REPORT=$work/bastion-report
  SNAP_SHM_HOP_CHECK=no SNAP_SHM_HOP_KNOWN_HOSTS=/dev/null SNAP_SHM_HOP_AGENT=SSH_AUTH_SOCK
  SNAP_SHM_HOP_BATCH=yes SNAP_SHM_HOP_AUTHS=publickey SNAP_SHM_HOP_ASKPASS=""
  if [ -n "${SNAP_SHM_PROXY_KNOWN_HOST-}" ]; then
    printf '%s\n' "$SNAP_SHM_PROXY_KNOWN_HOST" >"$work/bastion_known_hosts" || fail "cannot write $work/bastion_known_hosts"
    SNAP_SHM_HOP_CHECK=yes SNAP_SHM_HOP_KNOWN_HOSTS=$work/bastion_known_hosts
  fi
  if [ -n "${SNAP_SHM_PROXY_PRIVATE_KEY-}" ]; then
    load_key "$SNAP_SHM_PROXY_PRIVATE_KEY" "${SNAP_SHM_PROXY_PRIVATE_KEY_PASSWORD-}" bastion proxy.privateKeyPassword
    SNAP_SHM_HOP_AGENT=$work/agent
  elif [ -n "${SNAP_SHM_PROXY_AGENT_SOCKET-}" ]; then
    SNAP_SHM_HOP_AGENT=$SNAP_SHM_PROXY_AGENT_SOCKET
  fi
  if [ -n "${SNAP_SHM_PROXY_PASSWORD-}" ]; then
    asked_once bastion-password "$SNAP_SHM_PROXY_PASSWORD"
    SNAP_SHM_HOP_BATCH=no SNAP_SHM_HOP_AUTHS=password,keyboard-interactive,publickey SNAP_SHM_HOP_ASKPASS=$work/ask-bastion-password
  fi
  export SNAP_SHM_HOP_HOST SNAP_SHM_HOP_PORT SNAP_SHM_HOP_USER SNAP_SHM_HOP_TIMEOUT SNAP_SHM_HOP_ATTEMPTS SNAP_SHM_HOP_CHECK \
    SNAP_SHM_HOP_KNOWN_HOSTS SNAP_SHM_HOP_AGENT SNAP_SHM_HOP_BATCH SNAP_SHM_HOP_AUTHS SNAP_SHM_HOP_ASKPASS SNAP_SHM_HOP_REPORT
  # shellcheck disable=SC2016 # expanded by the ProxyCommand's shell, not this one
  set -- "$@" -o 'ProxyCommand=env SSH_ASKPASS="$SNAP_SHM_HOP_ASKPASS" SSH_ASKPASS_REQUIRE=force DISPLAY=:0 ssh -F /dev/null -o LogLevel=ERROR -o "ConnectTimeout=$SNAP_SHM_HOP_TIMEOUT" -o "ConnectionAttempts=$SNAP_SHM_HOP_ATTEMPTS" -o ServerAliveInterval=15 -p "$SNAP_SHM_HOP_PORT" -l "$SNAP_SHM_HOP_USER" -o "StrictHostKeyChecking=$SNAP_SHM_HOP_CHECK" -o "UserKnownHostsFile=$SNAP_SHM_HOP_KNOWN_HOSTS" -o GlobalKnownHostsFile=/dev/null -o "IdentityAgent=$SNAP_SHM_HOP_AGENT" -o "BatchMode=$SNAP_SHM_HOP_BATCH" -o "PreferredAuthentications=$SNAP_SHM_HOP_AUTHS" -o NumberOfPasswordPrompts=1 -W "[%h]:%p" -- "$SNAP_SHM_HOP_HOST" 2>>"$SNAP_SHM_HOP_REPORT"'
fi
forget_credentials

SHELL=/bin/sh ssh "$@" -T -- "$host" "$remote_command" || {
  status=$?
  # ssh's own last words say only that the connection closed; what the bastion refused is here.
  if [ "$status" -eq 255 ] && [ -n "$bastion" ] && [ -s "$work/bastion-report" ]; then
    while IFS= read -r line || [ -n "$line" ]; do printf 'bastion %s: %s\n' "$bastion" "$line" >&2; done <"$work/bastion-report"
  fi
  exit "$status"
}
