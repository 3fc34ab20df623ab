#!/usr/bin/env bash
# Run a command where `swift` works.
#
#   scripts/swift-env.sh --provision      only make sure a Swift toolchain is available
#   scripts/swift-env.sh CMD [ARGS...]    run CMD (e.g. `swift test`) in the current directory
#
# With a `swift` on PATH the command simply runs. Otherwise Swift 6 comes from Debian trixie's
# `swiftlang` package in a chroot made by debootstrap, cached OUTSIDE the repository so later runs
# on this machine reuse it (override with MIKOPBX_SWIFT_CHROOT). Inside the chroot /proc is mounted
# and the repository is bind-mounted at the same absolute path (and so is CARGO_TARGET_DIR when it
# lies outside the repository), so absolute -I / -L / -fmodule-map-file paths mean the same thing
# on both sides. Mounts are removed by a trap.
set -euo pipefail

REPO="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
CHROOT="${MIKOPBX_SWIFT_CHROOT:-/var/cache/mikopbx-sdk/swift-trixie}"
MIRROR="${MIKOPBX_DEBIAN_MIRROR:-http://deb.debian.org/debian}"
READY="$CHROOT/.mikopbx-swift-ready"
# A cargo target directory outside the repository, bind-mounted too (empty when there is none).
TARGET=""
if [[ -n "${CARGO_TARGET_DIR:-}" ]]; then
    TARGET="$(realpath -m "$CARGO_TARGET_DIR")"
    case "$TARGET" in "$REPO"|"$REPO"/*) TARGET="" ;; esac
fi
LOCK="${CHROOT%/*}/.swift-trixie.lock"

log() { printf '[swift-env] %s\n' "$*" >&2; }
die() { printf '[swift-env] ERROR: %s\n' "$*" >&2; exit 1; }

have_system_swift() { [[ -z "${MIKOPBX_FORCE_CHROOT:-}" ]] && command -v swift >/dev/null 2>&1; }

as_root() {
    if [[ $EUID -eq 0 ]]; then "$@"; else sudo "$@"; fi
}

is_mounted() { mountpoint -q "$1" 2>/dev/null; }

unmount_all() {
    # Deepest first; lazy so a stray process cannot wedge the next run.
    local m
    for m in ${TARGET:+"$CHROOT$TARGET"} "$CHROOT$REPO" "$CHROOT/dev/pts" "$CHROOT/dev" "$CHROOT/proc"; do
        if is_mounted "$m"; then as_root umount -l "$m" || true; fi
    done
}

provision() {
    have_system_swift && return 0
    as_root mkdir -p "${CHROOT%/*}"
    exec 9>"$LOCK"
    flock 9
    if [[ -f "$READY" ]]; then flock -u 9; return 0; fi
    local started=$SECONDS
    if ! command -v debootstrap >/dev/null 2>&1; then
        log "installing debootstrap"
        as_root apt-get update -qq
        as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq debootstrap >/dev/null
    fi
    if [[ -e "$CHROOT" ]]; then
        log "removing an unfinished chroot at $CHROOT"
        unmount_all
        # Never delete through a mount (the repository is bind-mounted inside while in use).
        if awk -v root="$CHROOT/" 'index($2 "/", root) == 1 { found = 1 } END { exit !found }' /proc/mounts; then
            die "something is still mounted under $CHROOT; unmount it and retry"
        fi
        as_root rm -rf --one-file-system "$CHROOT"
    fi
    log "debootstrapping Debian trixie with swiftlang into $CHROOT (a few minutes, ~3 GB)"
    local keyring=()
    [[ -f /usr/share/keyrings/debian-archive-keyring.gpg ]] &&
        keyring=(--keyring=/usr/share/keyrings/debian-archive-keyring.gpg)
    if ! as_root debootstrap --variant=minbase "${keyring[@]}" \
        --include=swiftlang,libc6-dev,ca-certificates trixie "$CHROOT" "$MIRROR" \
        >"${CHROOT%/*}/debootstrap.log" 2>&1; then
        tail -n 30 "${CHROOT%/*}/debootstrap.log" >&2 || true
        die "debootstrap failed (log: ${CHROOT%/*}/debootstrap.log)"
    fi
    [[ -L "$CHROOT/usr/bin/swift" || -x "$CHROOT/usr/bin/swift" ]] || die "debootstrap finished but $CHROOT/usr/bin/swift is missing"
    as_root touch "$READY"
    log "Swift chroot ready in $((SECONDS - started)) s"
    flock -u 9
}

run_in_chroot() {
    local cwd="$PWD"
    case "$cwd" in "$REPO"|"$REPO"/*) ;; *) die "run from inside the repository ($REPO)";; esac
    # Several runs may share the chroot; the lock serialises mount/unmount.
    exec 9>"$LOCK"
    flock 9
    trap unmount_all EXIT INT TERM
    is_mounted "$CHROOT/proc" || as_root mount -t proc proc "$CHROOT/proc"
    is_mounted "$CHROOT/dev" || as_root mount --bind /dev "$CHROOT/dev"
    as_root mkdir -p "$CHROOT$REPO"
    is_mounted "$CHROOT$REPO" || as_root mount --bind "$REPO" "$CHROOT$REPO"
    if [[ -n "$TARGET" ]]; then
        mkdir -p "$TARGET"
        as_root mkdir -p "$CHROOT$TARGET"
        is_mounted "$CHROOT$TARGET" || as_root mount --bind "$TARGET" "$CHROOT$TARGET"
    fi
    local quoted
    printf -v quoted '%q ' "$@"
    # A clean environment, plus the project's own MIKOPBX_* settings.
    local pass=() var
    while IFS= read -r var; do pass+=("$var=${!var}"); done < <(compgen -e | grep '^MIKOPBX_' || true)
    as_root chroot "$CHROOT" /usr/bin/env -i HOME=/root PATH=/usr/local/bin:/usr/bin:/bin \
        LANG=C.UTF-8 TERM=dumb SWIFT_BACKTRACE=enable=no "${pass[@]}" \
        /bin/bash -c "cd $(printf '%q' "$cwd") && $quoted"
}

main() {
    [[ $# -gt 0 ]] || die "usage: $0 --provision | CMD [ARGS...]"
    if [[ "$1" == "--provision" ]]; then
        provision
        exit 0
    fi
    if have_system_swift; then
        exec "$@"
    fi
    provision
    run_in_chroot "$@"
}

main "$@"
