# Chapter 02's part of scripts/tour: UDP echo, and loss made visible.

say "A UDP server only binds its socket: no listen(), no accept()."
start_server udp-echo-server 127.0.0.1 0
ECHO_PORT=$PORT
ECHO_PID=$SERVER_PID

say "The client sends one datagram and prints the one that comes back."
run udp-echo-client 127.0.0.1 "$ECHO_PORT" hello, datagrams
expect "hello, datagrams"
run udp-echo-client 127.0.0.1 "$ECHO_PORT" ''
expect ""
show_server_log

say "Datagrams keep their boundaries: three sends are three receives."
run udp-demo boundaries
expect_grep "3 sends, 3 receives"

say "A datagram larger than the receive buffer is cut, and MSG_TRUNC says so."
run udp-demo truncate
expect_grep "MSG_TRUNC set"

say "Nobody on the port: only a connected socket hears the ICMP error."
run udp-demo refused
expect_grep "connected   socket: recv: Connection refused"

say "A relay that drops half the datagrams, both ways (seed 3: the same every run)."
start_server udp-relay -v -s 3 -l 50 127.0.0.1 0 127.0.0.1 "$ECHO_PORT"
say "The client waits 200 ms for each try and sends again, up to 10 times."
run udp-echo-client -t 200 -r 10 127.0.0.1 "$PORT" despite the loss
expect "despite the loss"
show_server_log
grep -q "dropped" "$SERVER_LOG" || tour_fail "the relay dropped nothing"
[ "$(grep -c '^client 1 -> server' "$SERVER_LOG")" -gt 1 ] ||
    tour_fail "the client did not have to retry"
stop_server

say "A relay that drops everything: the client gives up after 3 tries of 300 ms."
start_server udp-relay -l 100 127.0.0.1 0 127.0.0.1 "$ECHO_PORT"
run_expect 1 udp-echo-client -t 300 -r 2 127.0.0.1 "$PORT" anyone there?
expect_grep "no reply from 127.0.0.1 port $PORT after 3 tries of 300 ms"
stop_server

say "With the echo server gone, its port answers with ICMP: Connection refused."
SERVER_PID=$ECHO_PID
stop_server
run_expect 1 udp-echo-client 127.0.0.1 "$ECHO_PORT" anyone there?
expect_grep "Connection refused"

if have_ipv6_loopback; then
    say "The same programs speak IPv6."
    start_server udp-echo-server ::1 0
    run udp-echo-client ::1 "$PORT" over IPv6
    expect "over IPv6"
    stop_server
fi
