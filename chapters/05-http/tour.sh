# Chapter 05's part of scripts/tour: http-get talking to http-serve, and to
# servers that misbehave on purpose.

site=chapters/05-http/site
say "A static file server on the event loop of chapter 03, serving the chapter's small site ($site)."
start_server http-serve --root "$site" 127.0.0.1 0

say "A page: the body goes to stdout byte for byte, as curl writes it."
run http-get "http://127.0.0.1:$PORT/index.html"
expect_grep "Hello over HTTP/1.1"

say "-v shows the request sent ('>') and the response head received ('<') on stderr."
run http-get -v "http://127.0.0.1:$PORT/docs/notes.txt"
expect_grep "^> GET /docs/notes.txt HTTP/1.1"
expect_grep "^< Content-Length: 19"

say "A directory without its slash is a redirect; -i shows the head with the body."
run http-get -i "http://127.0.0.1:$PORT/docs"
expect_grep "^HTTP/1.1 301 Moved Permanently"
expect_grep "^Location: /docs/"

say "-L follows it.  The index page is made on the fly, so it comes in chunks."
run http-get -i -L "http://127.0.0.1:$PORT/docs"
expect_grep "^Transfer-Encoding: chunked"
expect_grep 'href="keep-alive.txt"'

say "A file that is not there: 404.  With -f that is exit status 22, as with curl."
run http-get -i "http://127.0.0.1:$PORT/missing.html"
expect_grep "^HTTP/1.1 404 Not Found"
run_expect 22 http-get -f "http://127.0.0.1:$PORT/missing.html"
expect_grep "returned error: 404"

say "Nothing outside the root is served, however the path is spelled."
run http-get -i "http://127.0.0.1:$PORT/%2e%2e/%2e%2e/etc/passwd"
expect_grep "^HTTP/1.1 400 Bad Request"

say "curl's exit codes: 3 for a malformed URL, 7 when nobody listens."
run_expect 3 http-get "http://127.0.0.1:99999/"
show_server_log
stop_server
run_expect 7 http-get "http://127.0.0.1:$PORT/"
expect_grep "Connection refused"

say "A body cut short: http-script answers with the bytes of a file, here a head that promises 10 bytes and a body of 5.  Exit status 18."
start_server http-script 127.0.0.1 0 chapters/05-http/samples/cut.http
run_expect 18 http-get "http://127.0.0.1:$PORT/cut"
expect_grep "transfer closed"
stop_server

say "A server that reads the request and never answers: -m 1 gives up after a second, exit status 28."
start_server http-script --silent 127.0.0.1 0 chapters/05-http/samples/cut.http
run_expect 28 http-get -m 1 "http://127.0.0.1:$PORT/"
expect_grep "timed out"
stop_server
