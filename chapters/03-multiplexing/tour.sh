# Chapter 03's part of scripts/tour: five ways to serve many clients at once.

# A client that connects and says nothing: the tour's own shell holds the
# connection open on descriptor 3 (bash's /dev/tcp), while other clients
# come and go.
open_silent_client() {
    shell "exec 3<>/dev/tcp/127.0.0.1/$PORT     # a client that says nothing"
}

close_silent_client() {
    shell "exec 3<&-                            # the silent client leaves"
}

say "Chapter 01's server serves one client at a time: while a silent client holds it, the next one waits; timeout gives up on it after a second, with status 124."
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

say "A client that sends and never reads: back-pressure keeps the server's memory small, while the bytes wait in the kernel's buffers."
start_server echo-epoll 127.0.0.1 0
server=$SERVER_PID
run hog-client -s 0 127.0.0.1 "$PORT"
expect_grep "^the hog sent [0-9]+ bytes and read none$"
run grep VmRSS "/proc/$server/status"
stop_server

say "A slow handler stalls a single-threaded loop: slow-echo answers each line after 200 ms of work.  With -w 0 the loop does the work itself, so of four clients that ask at once the last waits 4 x 200 ms (times vary with the machine)..."
start_server slow-echo -w 0 127.0.0.1 0
run chapters/03-multiplexing/four-clients "$PORT"
last=$(grep -o '[0-9]* ms' <<<"$LAST_OUTPUT" | sort -n | tail -n 1)
[ "${last% ms}" -ge 790 ] || tour_fail "the last answer came after $last, not 4 x 200 ms"
stop_server

say "...and with a pool of 4 worker threads, all at about the same time."
start_server slow-echo -w 4 127.0.0.1 0
run chapters/03-multiplexing/four-clients "$PORT"
stop_server
