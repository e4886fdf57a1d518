#!/bin/sh
# A test host: run as `unshare -m --propagation private sh test-host.sh WORK SHM_SIZE`.
# Inside its own mount namespace it builds a copy-on-write root (an overlay whose lower
# layer is this machine's root file system and whose upper layer is a tmpfs), with its own
# /dev (a few device nodes and a fresh tmpfs /dev/shm), /run, /tmp and /proc, pivots into
# it and detaches the machine's root, so nothing the host does can reach this machine's
# files or /dev/shm. It prints "ready" and sleeps until killed; the namespace goes with it.
set -eu
work=$1
shm_size=$2

mount -t tmpfs -o mode=700 snap-shm-test-host "$work"
mkdir "$work/upper" "$work/work" "$work/root"
mount -t overlay snap-shm-test-root -o "lowerdir=/,upperdir=$work/upper,workdir=$work/work" "$work/root"
root=$work/root

mount -t proc proc "$root/proc"
mount --rbind /sys "$root/sys"
mount --make-rslave "$root/sys"
mount -t tmpfs -o mode=755 snap-shm-test-dev "$root/dev"
for node in null zero full random urandom tty; do
  touch "$root/dev/$node"
  mount --bind "/dev/$node" "$root/dev/$node"
done
ln -s /proc/self/fd "$root/dev/fd"
mkdir "$root/dev/shm" "$root/dev/pts"
mount -t tmpfs -o "mode=1777,size=$shm_size" snap-shm-test-shm "$root/dev/shm"
mount -t tmpfs -o mode=755 snap-shm-test-run "$root/run"
mkdir -p "$root/run/snapd/ns" "$root/run/snapd/lock" "$root/run/sshd" "$root/run/lock"
# snapd keeps preserved namespaces on a private bind mount of /run/snapd/ns.
mount --bind "$root/run/snapd/ns" "$root/run/snapd/ns"
mount --make-private "$root/run/snapd/ns"
mount -t tmpfs -o mode=1777 snap-shm-test-tmp "$root/tmp"

cd "$root"
mkdir -p .machine-root
pivot_root . .machine-root
cd /
umount -l /.machine-root
rmdir /.machine-root
# Mounts are shared inside the host, as systemd makes them, so a snap's namespace (a slave)
# sees the host's later mounts as on a real host; snapd keeps /run/snapd/ns private.
mount --make-rshared /
mount --make-private /run/snapd/ns
echo ready
exec sleep 2147483647
