# Chapter 01's part of scripts/tour: the blocking echo server and client.

say "Port 0 asks the kernel for any free port; the server prints the one it got."
start_server echo-server 127.0.0.1 0

say "The client sends its words joined by spaces and prints the echo."
run echo-client 127.0.0.1 "$PORT" hello, sockets
expect "hello, sockets"
run echo-client localhost "$PORT" one more time
expect "one more time"
show_server_log

if command -v ss >/dev/null; then
    say "ss shows the listening socket, and the TIME_WAIT left by each closed connection."
    run ss -tan "( sport = :$PORT or dport = :$PORT )"
fi

say "A second server cannot bind the same port while the first listens: EADDRINUSE."
run_expect 1 echo-server 127.0.0.1 "$PORT"
expect_grep "Address already in use"

say "SIGINT (Ctrl-C) ends the server with status 0; now nobody listens: ECONNREFUSED."
stop_server
run_expect 1 echo-client 127.0.0.1 "$PORT" anyone there?
expect_grep "Connection refused"

if have_ipv6_loopback; then
    say "The same programs speak IPv6, because getaddrinfo() hides the address family."
    start_server echo-server ::1 0
    run echo-client ::1 "$PORT" over IPv6
    expect "over IPv6"
    stop_server
fi
