#!/usr/bin/env bash
# Installs the servers of the interoperability matrix (docs/servers.md) without
# installing them: Cyrus, Courier, popa3d, stunnel, Exim and Postfix conflict with
# Dovecot and with each other (Conflicts: imap-server, pop3-server,
# mail-transport-agent), so their Debian packages are fetched with `apt-get download`
# and unpacked with `dpkg-deb -x` into a private tree. No maintainer script runs: no
# user is added, no /etc file written, no service started. Only the plain libraries
# they link against are installed with apt-get. package interop runs each server in
# a private mount namespace whose /usr and /etc are overlaid with that tree.
#
# Idempotent: packages already unpacked at the candidate version are left alone, and
# apt-get runs only when something is missing. Needs root (apt-get, and the tests
# need it for their mount namespaces); as another user it says so and does nothing.
#
#   FETCHSECURE_INTEROP_DIR  where to put it (default /var/tmp/fetchsecure-interop);
#                            the tree is $FETCHSECURE_INTEROP_DIR/root.
set -euo pipefail

dir=${FETCHSECURE_INTEROP_DIR:-/var/tmp/fetchsecure-interop}

# Unpacked, never installed: the servers and their own tools.
unpack=(
	cyrus-common cyrus-imapd cyrus-pop3d sasl2-bin
	courier-base courier-imap courier-pop courier-authdaemon courier-authlib courier-authlib-userdb gamin
	popa3d stunnel4
	exim4-daemon-light postfix
)
# Installed: libraries the unpacked binaries link against (and nothing that runs).
libs=(
	libclamav12 libical3 libxapian30 libzephyr4 libpcre3 libjansson4 libpq5 libsqlite3-0
	libxml2 libicu72 libwrap0 libsasl2-2 libsasl2-modules libsasl2-modules-db libldap-2.5-0
	libcourier-unicode4 libgamin0 libgdbm6 libidn12 libltdl7 libgnutls30 libpam0g
	libgnutls-dane0 libidn2-0 libnsl2 libpcre2-8-0 libdb5.3 libssl3
	openssl util-linux
)

if [ "$(id -u)" -ne 0 ]; then
	echo "interop: not root: cannot install packages or run servers in private mount namespaces;"
	echo "interop: the interoperability tests will be skipped (run make interop as root)."
	exit 0
fi
export DEBIAN_FRONTEND=noninteractive

# notinstalled prints those of its arguments that are not installed.
notinstalled() {
	local ok
	ok=$(dpkg-query -W -f='${Package} ${Status}\n' "$@" 2>/dev/null | sed -n 's/ install ok installed$//p' | sed 's/:.*//')
	for p in "$@"; do printf '%s\n' "$ok" | grep -qxF "$p" || echo "$p"; done
}

# debnames prints "package file" for the candidate version of each package apt knows.
debnames() {
	apt-cache show --no-all-versions "$@" 2>/dev/null |
		sed -n -e 's/^Package: //p' -e 's|^Filename: .*/||p' | paste -d' ' - -
}

updated=""
update_once() {
	if [ -z "$updated" ]; then
		apt-get update -qq
		updated=1
	fi
}

mapfile -t missing < <(notinstalled "${libs[@]}")
if [ ${#missing[@]} -gt 0 ]; then
	update_once
	echo "interop: installing libraries: ${missing[*]}"
	apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

mkdir -p "$dir/debs"
known=$(debnames "${unpack[@]}")
if [ "$(printf '%s\n' "$known" | grep -c .)" -ne ${#unpack[@]} ]; then
	update_once
	known=$(debnames "${unpack[@]}")
fi
debs=()
for p in "${unpack[@]}"; do
	f=$(printf '%s\n' "$known" | sed -n "s/^$p //p")
	[ -n "$f" ] || { echo "interop: apt knows no package $p" >&2; exit 1; }
	if [ ! -s "$dir/debs/$f" ]; then
		update_once
		# apt's sandbox user must be able to write the download directory.
		tmp=$(mktemp -d "$dir/debs/dl.XXXXXX")
		chown _apt "$tmp" 2>/dev/null || true
		(cd "$tmp" && apt-get download -qq "$p")
		mv "$tmp"/*.deb "$dir/debs/$f"
		rmdir "$tmp"
	fi
	debs+=("$f")
done

stamp=$(printf '%s\n' "${debs[@]}" | sort)
if [ -d "$dir/root" ] && [ "$(cat "$dir/root.stamp" 2>/dev/null)" = "$stamp" ]; then
	echo "interop: servers already unpacked in $dir/root"
	[ ${#missing[@]} -eq 0 ] && exit 0
else
	rm -rf "$dir/root.new"
	mkdir -p "$dir/root.new"
	for f in "${debs[@]}"; do dpkg-deb -x "$dir/debs/$f" "$dir/root.new"; done
	rm -rf "$dir/root"
	mv "$dir/root.new" "$dir/root"
	printf '%s\n' "$stamp" >"$dir/root.stamp"
	echo "interop: unpacked ${#debs[@]} packages into $dir/root"
fi
# Remove .debs of versions no longer wanted.
for f in "$dir"/debs/*.deb; do
	printf '%s\n' "${debs[@]}" | grep -qxF "$(basename "$f")" || rm -f "$f"
done

# Every unpacked program must find its libraries, or a test would fail obscurely.
r="$dir/root"
export LD_LIBRARY_PATH="$r/usr/lib/x86_64-linux-gnu:$r/usr/lib:$r/usr/lib/postfix:$r/usr/lib/courier-authlib:$r/usr/lib/x86_64-linux-gnu/sasl2"
notfound=$(find "$r/usr" -path "$r/usr/share" -prune -o -type f \( -perm -u+x -o -name '*.so*' \) -print0 |
	{ xargs -0 ldd 2>/dev/null || true; } | sed -n 's/^[[:space:]]*\([^ ]*\) => not found$/\1/p' | sort -u)
if [ -n "$notfound" ]; then
	echo "interop: unpacked programs miss libraries: $notfound" >&2
	echo "interop: add the Debian packages holding them to libs in $0" >&2
	exit 1
fi
