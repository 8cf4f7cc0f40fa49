# Chapter 08's part of scripts/tour: the WebSocket handshake on the wire, an
# echo session, and two clients chatting through ws-server.

say "ws-server: a chat room at /chat, an echo service on any other path, and the demo page, on one port."
start_server ws-server 127.0.0.1 0

say "The opening handshake is HTTP: the request of RFC 6455 §1.3, sent with chapter 05's http-get."
run http-get -i -H 'Upgrade: websocket' -H 'Connection: Upgrade' \
    -H 'Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==' -H 'Sec-WebSocket-Version: 13' \
    "http://127.0.0.1:$PORT/chat"
expect_grep "^HTTP/1.1 101 Switching Protocols"
expect_grep "^Sec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK\+xOo="

say "A version the server does not speak: 426, and the version it does speak."
run http-get -i -H 'Upgrade: websocket' -H 'Connection: Upgrade' \
    -H 'Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==' -H 'Sec-WebSocket-Version: 8' \
    "http://127.0.0.1:$PORT/"
expect_grep "^HTTP/1.1 426 Upgrade Required"
expect_grep "^Sec-WebSocket-Version: 13"

say "An echo session: each stdin line goes out as a text message and comes back."
run bash -c "printf 'hello\n\xce\xba\xe1\xbd\xb9\xcf\x83\xce\xbc\xce\xb5\n' | ws-client ws://127.0.0.1:$PORT/echo"
expect "$(printf 'hello\n\xce\xba\xe1\xbd\xb9\xcf\x83\xce\xbc\xce\xb5')"

say "Two clients chatting: bob listens in the background, alice says hello."
show_command ws-client "ws://127.0.0.1:$PORT/chat" "&"
(sleep 1.5 | ws-client "ws://127.0.0.1:$PORT/chat" >"$tour_tmp/bob.txt" 2>&1) &
tour_pids+=($!)
sleep 0.3
run bash -c "(echo 'hello, bob'; sleep 0.3) | ws-client ws://127.0.0.1:$PORT/chat"
expect "hello, bob"
sleep 1.5
say "What bob printed:"
run cat "$tour_tmp/bob.txt"
expect "hello, bob"

say "The server's log: each upgrade, and each close with its status code."
show_server_log
stop_server

if [ -f "$(dirname "${BASH_SOURCE[0]}")/tour.part2.sh" ]; then
    source "$(dirname "${BASH_SOURCE[0]}")/tour.part2.sh"
fi
