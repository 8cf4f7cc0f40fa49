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

# One message, as the shell can write it: the header length as two bytes,
# most significant first, then the header, then the content.
frame() {
    local type=$1 encoding=$2 content=$3 header
    local LC_ALL=C
    header="{\"byteorder\": \"big\", \"content-type\": \"$type\", "
    header+="\"content-encoding\": \"$encoding\", \"content-length\": ${#content}}"
    printf "\\x$(printf %02x $((${#header} >> 8)))\\x$(printf %02x $((${#header} & 255)))"
    printf '%s%s' "$header" "$content"
}

say "A pipelined session: three requests in one write, then a malformed message" \
    "(header length 0). frame-dump decodes a stream from stdin; here, the requests:"
requests=$tour_tmp/requests
answers=$tour_tmp/answers
{
    frame text/json utf-8 '{"action": "search", "value": "udp"}'
    frame binary/custom-client-binary-type binary 'raw bytes'
    frame text/json utf-8 '{"action": "search", "value": "framing"}'
    printf '\x00\x00'
} >"$requests"
run_expect 1 frame-dump <"$requests"
expect_grep 'malformed message: header length 0'
say "All of it in one write to the server; its answers, in order, then its close:"
exec 3<>"/dev/tcp/127.0.0.1/$PORT" || tour_fail "cannot connect to app-server"
cat "$requests" >&3
timeout 5 cat <&3 >"$answers" || tour_fail "the server did not close the connection"
exec 3<&-
run frame-dump <"$answers"
expect_grep '^content \(58 bytes\): \{"result": "a length first, then exactly that many bytes"\}$'
show_server_log
stop_server
