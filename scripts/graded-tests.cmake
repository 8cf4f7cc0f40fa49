# graded-tests.cmake - lists the graded tests of a build tree, for grade-class.
#
#   cmake -DJSON=tests.json -P graded-tests.cmake
#
# JSON is what "ctest --show-only=json-v1 -L graded" printed.  Prints one
# tab-separated line per test:
#
#   NAME <tab> POINTS <tab> MISSING
#
# POINTS comes from the test's "points=N" label (see course_test's POINTS),
# 1 when it has none.  MISSING names the first exercise program that the test
# needs and that was not built (the learner's code did not compile), or is
# empty.  CMake reads the JSON, so the grader needs no other tool.

file(READ "${JSON}" json)
string(JSON count LENGTH "${json}" tests)
if(count EQUAL 0)
    return()
endif()
math(EXPR last "${count} - 1")
foreach(i RANGE ${last})
    string(JSON name GET "${json}" tests ${i} name)

    set(points 1)
    string(JSON nprops ERROR_VARIABLE no_props LENGTH "${json}" tests ${i} properties)
    if(NOT no_props AND nprops GREATER 0)
        math(EXPR plast "${nprops} - 1")
        foreach(p RANGE ${plast})
            string(JSON pname GET "${json}" tests ${i} properties ${p} name)
            if(pname STREQUAL "LABELS")
                string(JSON nlabels LENGTH "${json}" tests ${i} properties ${p} value)
                math(EXPR llast "${nlabels} - 1")
                foreach(l RANGE ${llast})
                    string(JSON label GET "${json}" tests ${i} properties ${p} value ${l})
                    if(label MATCHES "^points=([0-9]+)$")
                        set(points ${CMAKE_MATCH_1})
                    endif()
                endforeach()
            endif()
        endforeach()
    endif()

    # Arguments NAME=PATH whose PATH is a learner's program (built from
    # exercises/) must exist, or that exercise did not compile.
    set(missing "")
    # (A test whose driver is not built has no command at all.)
    string(JSON nargs ERROR_VARIABLE no_command LENGTH "${json}" tests ${i} command)
    if(no_command)
        set(nargs 0)
    endif()
    math(EXPR alast "${nargs} - 1")
    foreach(a RANGE 0 ${alast})
        if(a EQUAL nargs)
            break()
        endif()
        string(JSON arg GET "${json}" tests ${i} command ${a})
        if(missing STREQUAL "" AND arg MATCHES "^[^=/]+=(/.*/exercises/[^/]+/[^/]+)$")
            if(NOT EXISTS "${CMAKE_MATCH_1}")
                set(missing "${CMAKE_MATCH_1}")
            endif()
        endif()
    endforeach()
    message("${name}\t${points}\t${missing}")
endforeach()
