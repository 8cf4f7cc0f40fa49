# Chapter 04's part of scripts/tour: framed messages over TCP.

say "TCP keeps no message boundaries: two send() calls arrive as one recv() ..."
run boundaries-demo glue
expect_grep 'one recv\(\) returned 10 bytes: "helloworld"'
say "... and one large send() arrives as many recv() calls."
run boundaries-demo split
expect_grep 'recv\(\) calls for one send\(\) of 1048576 bytes'

say "app-server frames every message: a 2-byte length, a JSON header, the content."
start_server app-server 127.0.0.1 0

say "A search request: JSON content {\"action\": \"search\", \"value\": V}."
run app-client 127.0.0.1 "$PORT" search tcp
expect "a reliable, ordered byte stream, with no message boundaries"
run app-client 127.0.0.1 "$PORT" search π
expect "≈ 3.14159"
run app-client 127.0.0.1 "$PORT" search sockets
expect 'no match for "sockets"'

say "A binary request: any other content type is opaque bytes; the answer starts with them."
run app-client --binary 127.0.0.1 "$PORT" hello bytes
expect "hello bytes"

say "A pipelined session, written from the shell with the functions of chapters/04-framing/frame.sh: three requests, then a malformed message (header length 0), in one file.  frame-dump decodes it, and stops at the malformed message with status 1:"
shell "source chapters/04-framing/frame.sh"
# The files of this session are made in a directory of the tour's own.
cd "$tour_tmp" || tour_fail "cannot enter $tour_tmp"
shell "{ frame text/json utf-8 '{\"action\": \"search\", \"value\": \"udp\"}'; frame binary/custom-client-binary-type binary 'raw bytes'; frame text/json utf-8 '{\"action\": \"search\", \"value\": \"framing\"}'; printf '\\x00\\x00'; } > requests"
run_input_expect 1 requests frame-dump
expect_grep 'malformed message: header length 0'

say "All of it in one write to the server, on one connection the shell holds open; its answers, in order, until it closes the connection:"
shell "exec 3<>/dev/tcp/127.0.0.1/$PORT; cat requests >&3; timeout 5 cat <&3 > answers; exec 3<&-"
run_input answers frame-dump
expect_grep '^content \(58 bytes\): \{"result": "a length first, then exactly that many bytes"\}$'
show_server_log
stop_server
