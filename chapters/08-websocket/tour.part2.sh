# Chapter 08, second part: requests with ids, the /inspect service and ws-inspect.

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
