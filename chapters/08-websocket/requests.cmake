# Chapter 08, second part: requests with ids over one WebSocket connection,
# the document inspector that ws-server serves at /inspect, its client, and
# the chat page in a real browser.  Included by CMakeLists.txt.

# The request/reply layer: requests and replies matched by id, on top of the
# WebSocket library and chapter 04's JSON.
add_library(rpc STATIC lib/rpc.c)
target_include_directories(rpc PUBLIC ${CMAKE_CURRENT_SOURCE_DIR}/lib)
target_link_libraries(rpc PUBLIC ws json)

# The demo service, linked into ws-server.
add_library(inspect STATIC inspect-service.c inspect-documents.c)
target_include_directories(inspect PUBLIC ${CMAKE_CURRENT_SOURCE_DIR})
target_link_libraries(inspect PUBLIC rpc)
if(TARGET ws-server)
    target_link_libraries(ws-server PRIVATE inspect)
endif()

course_program(ws-inspect SOURCES ws-inspect.c LIBS rpc net)

# ---- tests ------------------------------------------------------------------
# A WebSocket server inside a test, which answers as each case needs.
add_library(rpc-test-server STATIC tests/rpc-test-server.c)
target_include_directories(rpc-test-server PUBLIC ${CMAKE_CURRENT_SOURCE_DIR}/tests)
target_link_libraries(rpc-test-server PUBLIC rpc testkit)

course_test_driver(test-ch08-rpc SOURCES tests/test-rpc.c)
target_link_libraries(test-ch08-rpc PRIVATE rpc rpc-test-server inspect)
# White-box tests of the rpc library and of the inspect service, in-process.
course_test(DRIVER test-ch08-rpc KIND lib TIMEOUT 60
    CASES rpc.out-of-order-under-load rpc.deadlines rpc.duplicate-and-unknown-ids
          rpc.stray-reasons rpc.notifications-and-garbage rpc.connection-drops
          rpc.cancel rpc.malformed-replies rpc.params-must-be-object rpc.parse-requests
          rpc.write-replies rpc.inspect-flood-closed)
# ws-inspect against a scripted server, then against the real ws-server.
course_test(DRIVER test-ch08-rpc KIND lesson TIMEOUT 60
    PROGRAMS ws-inspect CASES rpc.inspect-lost-connection rpc.inspect-timeout)
if(TARGET ws-server)
    course_test(DRIVER test-ch08-rpc KIND lesson TIMEOUT 60
        PROGRAMS ws-server ws-inspect CASES rpc.inspect-under-load)
endif()

# rpc_connect(): the client and its WebSocket connection in one call; and
# ws_upgrade_handlers, the server side that the in-process server uses.
course_test(DRIVER test-ch08-rpc KIND lib
    CASES rpc.connect-reply rpc.connect-handshake-failed rpc.connect-refused
          rpc.connect-closed-in-flight rpc.connect-dropped-in-flight
          rpc.upgrade-only-plain-request rpc.upgrade-only-malformed
          rpc.upgrade-only-slow-head)

if(TARGET ws-server AND TARGET ws-client)
    course_test_driver(test-ch08-inspect SOURCES tests/test-inspect.c)
    # The outside client is a Python script, run where python3-websockets is.
    target_compile_definitions(test-ch08-inspect PRIVATE
        OUTSIDE_INSPECT_CLIENT="${CMAKE_CURRENT_SOURCE_DIR}/tests/inspect-client.py")
    course_test(DRIVER test-ch08-inspect KIND lesson TIMEOUT 60
        PROGRAMS ws-server ws-client ws-inspect
    CASES_FROM tests/test-inspect.c)

    course_test_driver(test-ch08-browser SOURCES tests/test-browser.c)
    course_test(DRIVER test-ch08-browser KIND lesson TIMEOUT 90
        PROGRAMS ws-server ws-client
    CASES_FROM tests/test-browser.c)
endif()

# ---- exercises 4 and 5: exercises/08-websocket (the learner's) and solutions/
course_exercise(ws-find-widget SOURCES ws-find-widget.c LIBS rpc net)
course_exercise(ws-fetch-widgets SOURCES ws-fetch-widgets.c LIBS rpc net)

course_test_driver(test-ch08-ex4 SOURCES tests/ex4-rpc-cancel.c)
target_link_libraries(test-ch08-ex4 PRIVATE rpc rpc-test-server)
course_test(DRIVER test-ch08-ex4 KIND graded EXERCISE 4
    EXERCISE_PROGRAMS ws-find-widget
    CASES_FROM tests/ex4-rpc-cancel.c)

course_test_driver(test-ch08-ex5 SOURCES tests/ex5-rpc-limit.c)
target_link_libraries(test-ch08-ex5 PRIVATE rpc rpc-test-server)
course_test(DRIVER test-ch08-ex5 KIND graded EXERCISE 5
    EXERCISE_PROGRAMS ws-fetch-widgets
    CASES_FROM tests/ex5-rpc-limit.c)
