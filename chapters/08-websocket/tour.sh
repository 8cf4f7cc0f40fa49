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

# The second part: requests with ids, the /inspect service and ws-inspect.
say "ws-server also serves a document inspector at /inspect: requests with ids."
start_server ws-server 127.0.0.1 0

say "Raw requests through ws-client: each reply names its request's id, in no set order."
run bash -c "(printf '%s\n' \
    '{\"method\": \"GetDocument\", \"params\": {\"id\": \"1\"}, \"id\": 1}' \
    '{\"method\": \"GetWidgetContainer\", \"params\": {\"id\": \"c-101\"}, \"id\": 2}' \
    '{\"method\": \"Shutdown\", \"id\": 3}'; sleep 0.5) |
    ws-client ws://127.0.0.1:$PORT/inspect | sort"
expect_grep '^\{"id": 1, "result": \{"type": "biDashboard", .*"widgetContainerIds": \["c-101", "c-102", "c-103", "c-104"\]\}\}$'
expect_grep '^\{"id": 2, "result": \{"widgetId": "w-201"\}\}$'
expect_grep '^\{"id": 3, "error": \{"code": -32601, "message": "no method \\"Shutdown\\""\}\}$'

say "ws-inspect: the containers all at once, each widget as soon as its container is known."
run ws-inspect "ws://127.0.0.1:$PORT/inspect" 1
expect_grep '^  \{"id": "w-204", "type": "label", "title": "Open orders"'
expect_grep '^sent=9 answered=9 out_of_order=[0-9]+ timed_out=0 failed=0 '

say "The same nine requests one at a time: never out of order, and slower."
run ws-inspect --sequential "ws://127.0.0.1:$PORT/inspect" 1
expect_grep '^sent=9 answered=9 out_of_order=0 timed_out=0 failed=0 '

say "An error reply: an id that names no document."
run_expect 1 ws-inspect "ws://127.0.0.1:$PORT/inspect" 99
expect_grep '^ws-inspect: GetDocument "99" \(id 1\): error -32004: no document with id "99"$'
stop_server

