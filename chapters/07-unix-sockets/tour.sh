# Chapter 07's part of scripts/tour: Unix domain sockets.

# True if the tour may run programs as "nobody" (root, and setpriv there).
can_be_nobody() {
    [ "$(id -u)" -eq 0 ] && command -v setpriv >/dev/null && id nobody >/dev/null 2>&1
}

# The command prefix that runs a program as nobody.
as_nobody=(setpriv --reuid=nobody --regid="$(id -gn nobody 2>/dev/null)" --clear-groups)

# The tour's temporary directory is private (mode 0700); others may pass.
chmod 755 "$tour_tmp"

sock="$tour_tmp/echo.sock"
say "The echo over a socket file: the server makes it, a second server may not take it, SIGINT removes it."
start_server uds-echo-server "$sock"
run uds-echo-client "$sock" hello over a path
expect "hello over a path"
run ls -l "$sock"
expect_grep "^s"
run_expect 1 uds-echo-server "$sock"
expect "uds-echo-server: $sock: Address already in use"
stop_server
run_expect 2 ls "$sock"

say "The same over a Linux abstract name: no file at all, only an entry in the kernel's table."
name="@course-tour-$$"
start_server uds-echo-server "$name"
run uds-echo-client "$name" hello over an abstract name
expect "hello over an abstract name"
run grep -c "$name\$" /proc/net/unix
expect 1
stop_server

say "A path too long for sun_path (108 bytes with its NUL) is refused, never cut."
run_expect 1 uds-echo-server "/tmp/$(printf 'x%.0s' $(seq 110))"
expect_grep "path too long"

secret="$tour_tmp/secret"
mkdir -m 700 "$secret"
echo "the launch codes are 0000" >"$secret/codes.txt"
chmod 600 "$secret/codes.txt"
say "Passing a descriptor: fd-broker opens a file of a directory only root may read, and hands the open file over."
start_server fd-broker "$tour_tmp/broker.sock" "$secret"
chmod 777 "$tour_tmp/broker.sock"
if can_be_nobody; then
    say "As nobody, cat cannot open it; fd-fetch reads it through the passed descriptor."
    run_expect 1 "${as_nobody[@]}" cat "$secret/codes.txt"
    run "${as_nobody[@]}" fd-fetch "$tour_tmp/broker.sock" codes.txt
else
    say "(Not root: the client runs as you; the tests show it as another user.)"
    run fd-fetch "$tour_tmp/broker.sock" codes.txt
fi
expect "the launch codes are 0000"
show_server_log
stop_server

say "Peer credentials: the server answers according to who the kernel says the client is."
start_server peercred-server "$tour_tmp/cred.sock"
chmod 777 "$tour_tmp/cred.sock"
run peercred-client "$tour_tmp/cred.sock"
expect_grep "^pid=[0-9]+ uid=$(id -u) .* access=full$"
if can_be_nobody; then
    run "${as_nobody[@]}" peercred-client "$tour_tmp/cred.sock"
    expect_grep "user=nobody access=read-only"
fi
stop_server

say "A socketpair between a parent and its child, SOCK_SEQPACKET: one answer per recv()."
run pair-demo hello there world
expect "hello -> HELLO
there -> THERE
world -> WORLD"
