# frame.sh - writes framed messages of chapter 04's protocol from the shell.
#
#   source chapters/04-framing/frame.sh
#   frame TYPE ENCODING CONTENT      one message with a header of the four
#                                    required keys, content-length counted
#   frame_header HEADER CONTENT      one message with HEADER as it is (any
#                                    text, valid or not) and CONTENT after it
#
# Both write to stdout: the header's length as two bytes, most significant
# first, then the header, then the content.  Lengths count bytes, whatever
# the locale.  The lesson (sections 8 and 10) and the tour use them to build
# requests, valid and malformed, without a program of their own.

frame_header() {
    local LC_ALL=C
    local header=$1 content=$2
    printf "\\x$(printf %02x $((${#header} >> 8)))\\x$(printf %02x $((${#header} & 255)))"
    printf '%s%s' "$header" "$content"
}

frame() {
    local LC_ALL=C
    local type=$1 encoding=$2 content=$3
    frame_header "{\"byteorder\": \"big\", \"content-type\": \"$type\", \"content-encoding\": \"$encoding\", \"content-length\": ${#content}}" "$content"
}
