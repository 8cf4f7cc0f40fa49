# Chapter 03's part of scripts/tour: five ways to serve many clients at once.

# A client that connects and says nothing, kept open on descriptor 3 of the
# tour's shell (bash's /dev/tcp), while other clients come and go.
open_silent_client() {
    exec 3<>"/dev/tcp/127.0.0.1/$PORT" || tour_fail "cannot connect to port $PORT"
}

close_silent_client() {
    exec 3<&-
}

say "Chapter 01's server serves one client at a time: while a silent client holds it, the next one waits (and here gives up after a second, status 124)."
start_server echo-server 127.0.0.1 0
open_silent_client
run_expect 124 timeout 1 echo-client 127.0.0.1 "$PORT" anybody home?
close_silent_client
stop_server

for server in echo-fork echo-threads echo-select echo-poll echo-epoll; do
    say "$server: the same silent client, and the next one is served at once; then echo-bench runs 50 clients at once, 200 messages each, every byte checked."
    start_server "$server" 127.0.0.1 0
    open_silent_client
    run echo-client 127.0.0.1 "$PORT" served by "$server"
    expect "served by $server"
    run echo-bench -c 50 -n 200 -s 100 127.0.0.1 "$PORT"
    expect_grep "conns=50 messages=10000 .* errors=0$"
    close_silent_client
    stop_server
done

say "A slow handler stalls a single-threaded loop: slow-echo answers each line after 200 ms of work.  With -w 0 the loop does the work itself, so of four clients that ask at once the last waits 4 x 200 ms..."
four_at_once='start=$(date +%s%N)
for i in 1 2 3 4; do
    ( exec 4<>/dev/tcp/127.0.0.1/$0; echo "client $i" >&4; read -r line <&4
      echo "$line after $(( ($(date +%s%N) - start) / 1000000 )) ms" ) &
done
wait'
start_server slow-echo -w 0 127.0.0.1 0
run bash -c "$four_at_once" "$PORT"
stop_server

say "...and with a pool of 4 worker threads, all at about the same time."
start_server slow-echo -w 4 127.0.0.1 0
run bash -c "$four_at_once" "$PORT"
stop_server
