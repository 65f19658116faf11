# regress/host-lib.sh: a fresh Debian 12 for the real-host tests (host-*.t).
#
# host_base       a Debian 12 minbase root (debootstrap), built once and
#                 kept under $HOST_DIR while its inputs are the same
# host_overlay    a throw-away overlay of it for this test: $HR/root
# host_copy_tree  the project as a clone has it, into /root/ep2d
# host_chroot_up  mounts for running commands in it (no systemd)
# host_run CMD    CMD as root in the chroot, clean environment
# host_boot       the same root booted with systemd as PID 1
#                 (systemd-nspawn, its own network: loopback only)
# host_exec CMD   CMD as root inside the booted host
# Everything is undone by host_cleanup (the EXIT trap of host_init).
#
# The recipe, and why each step: ../shared/notes/host.md.  Set
# EP2D_HOST_TESTS=no to skip these tests (make check inside such a
# root does, so that it does not nest).

HOST_DIR=${EP2D_HOST_DIR:-/var/tmp/ep2d-host}
HOST_SUITE=bookworm
HOST_MIRROR=${EP2D_HOST_MIRROR:-http://deb.debian.org/debian}
HOST_INCLUDE=git,make,ca-certificates
HOST_REV=1		# bump when host_base makes a different root
HOST_ENV="PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin HOME=/root LANG=C.UTF-8"
HR=""
HOST_NSPAWN=""
HOST_PID1=""

host_init() {
	[ "${EP2D_HOST_TESTS:-yes}" != no ] ||
	    skip_all "EP2D_HOST_TESTS=no (inside a host test already)"
	[ "$(id -u)" -eq 0 ] || skip_all "the real-host tests run as root"
	for _c in debootstrap systemd-nspawn nsenter unshare; do
		command -v $_c >/dev/null ||
		    skip_all "no $_c (make deps installs it)"
	done
	grep -qw overlay /proc/filesystems ||
	    modprobe overlay 2>/dev/null ||
	    skip_all "no overlay file system"
	mkdir -p "$HOST_DIR" || skip_all "cannot make $HOST_DIR"
	trap host_cleanup EXIT
	trap 'exit 1' INT TERM
}

host_key() {
	echo "$HOST_REV $HOST_SUITE $HOST_MIRROR minbase $HOST_INCLUDE" |
	    sha256sum | cut -c1-12
}

# host_base: print the cached root, making it first if needed (one
# debootstrap at a time, whichever test asks first)
host_base() {
	_key=$(host_key)
	_base=$HOST_DIR/base-$_key
	(
		flock 9
		[ -f "$_base/.ep2d-base" ] && exit 0
		rm -rf "$_base.new"
		for _old in "$HOST_DIR"/base-*; do
			[ -d "$_old" ] && [ "$_old" != "$_base" ] &&
			    rm -rf "$_old"
		done
		echo "# debootstrap $HOST_SUITE into $_base (once)" >&2
		debootstrap --variant=minbase --include="$HOST_INCLUDE" \
		    "$HOST_SUITE" "$_base.new" "$HOST_MIRROR" \
		    > "$HOST_DIR/debootstrap.log" 2>&1 || {
			tail -n 20 "$HOST_DIR/debootstrap.log" >&2
			exit 1
		}
		# every installed machine has one; minbase has not
		cp /etc/hosts "$_base.new/etc/hosts"
		date -u > "$_base.new/.ep2d-base"
		mv "$_base.new" "$_base"
	) 9> "$HOST_DIR/.lock" || return 1
	echo "$_base"
}

# host_overlay NAME: a writable overlay of the base at $HR/root
host_overlay() {
	_b=$(host_base) || return 1
	HR=$(mktemp -d "$HOST_DIR/run-$1.XXXXXX") || return 1
	mkdir -p "$HR/upper" "$HR/work" "$HR/root" \
	    "$HOST_DIR/apt-archives/partial"
	mount -t overlay overlay \
	    -o "lowerdir=$_b,upperdir=$HR/upper,workdir=$HR/work" \
	    "$HR/root" || return 1
	# Debian's packages are downloaded once for all the roots: the
	# same files apt would fetch, checked by apt against the fresh
	# root's own lists
	mount --bind "$HOST_DIR/apt-archives" "$HR/root/var/cache/apt/archives"
}

# host_copy_tree: what a clone of this checkout holds (tracked files and
# files git would add), as /root/ep2d
host_copy_tree() {
	mkdir -p "$HR/root/root/ep2d"
	(cd "$TOP" && git ls-files -z --cached --others --exclude-standard |
	    xargs -0 sh -c 'for f; do [ -e "$f" ] && printf "%s\0" "$f"; done' sh |
	    tar --null -T - -cf -) | tar -xf - -C "$HR/root/root/ep2d"
}

host_chroot_up() {
	_r=$HR/root
	mount --rbind /sys "$_r/sys" && mount --make-rslave "$_r/sys"
	mount --rbind /dev "$_r/dev" && mount --make-rslave "$_r/dev"
	mount -t tmpfs tmpfs "$_r/run"
	mount -t tmpfs tmpfs "$_r/tmp"
	cp /etc/resolv.conf "$_r/etc/resolv.conf"
	# no package's maintainer script starts a service in a chroot
	printf '#!/bin/sh\nexit 101\n' > "$_r/usr/sbin/policy-rc.d"
	chmod 755 "$_r/usr/sbin/policy-rc.d"
}

host_chroot_down() {
	_r=$HR/root
	rm -f "$_r/usr/sbin/policy-rc.d"
	for _m in tmp run dev sys; do
		mountpoint -q "$_r/$_m" && umount -R "$_r/$_m"
	done
	return 0
}

# host_run [-n] CMD: CMD in the chroot, as root, with a clean
# environment, in a PID namespace of its own (it sees only its own
# processes, as on a machine of its own, and what it leaves running ends
# with it); -n: a network namespace of its own too, loopback only
host_run() {
	_net=""
	if [ "$1" = -n ]; then
		_net="-n"
		shift
		set -- "ip link set lo up && $1"
	fi
	unshare -m -p -f $_net --propagation slave chroot "$HR/root" \
	    /usr/bin/env -i $HOST_ENV sh -c "mount -t proc proc /proc && $1"
}

# host_boot: boot $HR/root with systemd as PID 1; HOST_PID1 is its pid
host_boot() {
	host_chroot_down
	mountpoint -q "$HR/root/var/cache/apt/archives" &&
	    umount "$HR/root/var/cache/apt/archives"
	setsid systemd-nspawn -q -D "$HR/root" -b --register=no \
	    --keep-unit --private-network \
	    --system-call-filter="landlock_create_ruleset landlock_add_rule landlock_restrict_self" \
	    -M "ep2d-$(basename "$HR" | tr -c 'a-zA-Z0-9\n' -)" \
	    </dev/null > "$HR/boot.log" 2>&1 &
	HOST_NSPAWN=$!
	# PID 1 inside: the nspawn process's child once it runs systemd
	# (before, the child may still be nspawn's own, about to exec)
	_i=0
	while [ $_i -lt 400 ]; do
		HOST_PID1=$(ps -o pid=,comm= --ppid "$HOST_NSPAWN" |
		    awk '$2 == "systemd" { print $1; exit }')
		[ -n "$HOST_PID1" ] && break
		kill -0 "$HOST_NSPAWN" 2>/dev/null || break
		sleep 0.05
		_i=$((_i + 1))
	done
	[ -n "$HOST_PID1" ] || { tail -n 20 "$HR/boot.log" >&2; return 1; }
	_i=0
	while [ $_i -lt 600 ]; do
		case $(host_exec 'systemctl is-system-running' 2>/dev/null) in
		running|degraded) return 0 ;;
		esac
		sleep 0.1
		_i=$((_i + 1))
	done
	echo "# the host did not finish booting:" >&2
	host_exec 'systemctl is-system-running; systemctl list-jobs' 2>&1 |
	    sed 's/^/# /' >&2
	return 1
}

# host_exec CMD: CMD in the booted host (all its namespaces), as root
host_exec() {
	nsenter -t "$HOST_PID1" -a /usr/bin/env -i $HOST_ENV sh -c "$1"
}

# hwait SECONDS CMD: CMD inside the booted host until it succeeds
hwait() {
	_n=$(( $1 * 10 ))
	_i=0
	while [ $_i -lt $_n ]; do
		host_exec "$2" >/dev/null 2>&1 && return 0
		sleep 0.1
		_i=$((_i + 1))
	done
	return 1
}

host_poweroff() {
	[ -n "$HOST_NSPAWN" ] || return 0
	host_exec 'systemctl poweroff' >/dev/null 2>&1
	_i=0
	while kill -0 "$HOST_NSPAWN" 2>/dev/null && [ $_i -lt 300 ]; do
		sleep 0.1
		_i=$((_i + 1))
	done
	if kill -0 "$HOST_NSPAWN" 2>/dev/null; then
		kill "$HOST_NSPAWN"
		_i=0
		while kill -0 "$HOST_NSPAWN" 2>/dev/null && [ $_i -lt 50 ]; do
			sleep 0.1
			_i=$((_i + 1))
		done
		kill -9 "$HOST_NSPAWN" 2>/dev/null
	fi
	HOST_NSPAWN=""
}

host_cleanup() {
	[ -n "$HR" ] || return 0
	host_poweroff
	host_chroot_down
	mountpoint -q "$HR/root/var/cache/apt/archives" &&
	    umount "$HR/root/var/cache/apt/archives"
	mountpoint -q "$HR/root" && umount "$HR/root"
	if [ -n "${KEEP_HR:-}" ]; then
		echo "# kept $HR" >&2
	else
		rm -rf "$HR"
	fi
}
