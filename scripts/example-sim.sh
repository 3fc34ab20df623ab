# Sourced by the test scripts that run an example against a fresh simulator (Rust, Kotlin,
# Swift): start it, create the AMI user click-to-call needs, check the note a screen-pop wrote.
# The caller sets `log` and, for start_example_sim, a cleanup trap that kills "$sim_pid".

# start_example_sim BINARY DIR: starts the simulator with its state in DIR/sim; sets `url`,
# `sim_pid`, `admin_key`, `ca_pem` (a path) and `ajam_port`.
start_example_sim() {
    local binary=$1 dir=$2
    "$binary" --addr 127.0.0.1:0 --state-dir "$dir/sim" >"$dir/sim.out" 2>"$dir/sim.err" &
    sim_pid=$!
    for _ in $(seq 1 100); do
        grep -q 'https://' "$dir/sim.out" 2>/dev/null && break
        sleep 0.1
    done
    url="$(grep -o 'https://[^ ]*' "$dir/sim.out" | head -n1)"
    [[ -n "$url" ]] || { cat "$dir/sim.err" >&2; log "ERROR: simulator did not start"; return 1; }
    admin_key="$(cat "$dir/sim/admin-key.txt")"
    ca_pem="$dir/sim/ca.pem"
    ajam_port="$(sed 's/.*://' "$dir/sim/ajam-url.txt")"
}

# create_click_to_call_user DIR USERNAME: creates the AMI user over REST, as an administrator
# would (originate write and call read only; network filter 4: this host only), with a random
# secret; sets `ami_secret`. The secret goes through a file and the environment, never argv.
create_click_to_call_user() {
    local dir=$1 username=$2
    ami_secret="Example-$RANDOM$RANDOM$RANDOM"
    printf '{"username": "%s", "secret": "%s", "networkfilterid": "4", "permissions": {"originate_write": true, "call_read": true}}' \
        "$username" "$ami_secret" >"$dir/manager.json"
    curl -sS --fail --cacert "$ca_pem" -H "Authorization: Bearer $admin_key" \
        -H 'Content-Type: application/json' --data @"$dir/manager.json" \
        "$url/pbxcore/api/v3/asterisk-managers" >/dev/null
}

# check_call_note NOTES_DIR OUTPUT: the screen-pop's note of an answered call with its MP3
# recording, and the AMI secret neither printed nor written.
check_call_note() {
    local notes=$1 out=$2 note
    note="$(ls "$notes"/sdk-*.json 2>/dev/null | head -n1)"
    [[ -n "$note" ]] || { log "ERROR: the screen-pop wrote no call note"; return 1; }
    cat "$note"; echo
    grep -Eq '"disposition": ?"ANSWERED"' "$note" || { log "ERROR: the note is not of an answered call"; return 1; }
    grep -Eq '"content_type": ?"audio/mpeg"' "$note" || { log "ERROR: the note has no recording"; return 1; }
    if grep -q "$ami_secret" <<<"$out" || grep -rq "$ami_secret" "$notes"; then
        log "ERROR: the AMI secret was printed or written"; return 1
    fi
}
