# The course's CMake functions.  Every chapter's CMakeLists.txt uses only
# these three, so adding a chapter is a matter of listing its programs,
# exercises and tests.

add_compile_options(-Wall -Wextra -Wpedantic)
option(COURSE_WERROR "Treat compiler warnings as errors" OFF)
if(COURSE_WERROR)
    add_compile_options(-Werror)
endif()

# course_program(NAME SOURCES file... [LIBS lib...])
#
# A chapter program.  Every one lands in build/bin so that a learner can run
# it by name from one place.
function(course_program name)
    cmake_parse_arguments(arg "" "" "SOURCES;LIBS" ${ARGN})
    add_executable(${name} ${arg_SOURCES})
    target_link_libraries(${name} PRIVATE ${arg_LIBS})
    set_target_properties(${name} PROPERTIES
        RUNTIME_OUTPUT_DIRECTORY ${CMAKE_BINARY_DIR}/bin)
    # Remembered as "CHAPTER PROGRAM" for the check of the lessons' reference
    # sections (scripts/CMakeLists.txt writes the list).
    get_filename_component(chapter ${CMAKE_CURRENT_SOURCE_DIR} NAME)
    set_property(GLOBAL APPEND PROPERTY COURSE_PROGRAMS "${chapter} ${name}")
endfunction()

# course_exercise(NAME SOURCES file... [LIBS lib...])
#
# An exercise program, built twice from the same file names: once from the
# learner's exercises/CHAPTER/ and once from solutions/CHAPTER/, into
# build/exercises/CHAPTER/NAME and build/solutions/CHAPTER/NAME.
function(course_exercise name)
    cmake_parse_arguments(arg "" "" "SOURCES;LIBS" ${ARGN})
    get_filename_component(chapter ${CMAKE_CURRENT_SOURCE_DIR} NAME)
    foreach(tree exercises solutions)
        set(dir ${PROJECT_SOURCE_DIR}/${tree}/${chapter})
        list(TRANSFORM arg_SOURCES PREPEND ${dir}/ OUTPUT_VARIABLE sources)
        set(target ${tree}-${chapter}-${name})
        add_executable(${target} ${sources})
        target_include_directories(${target} PRIVATE ${dir})
        target_link_libraries(${target} PRIVATE ${arg_LIBS})
        set_target_properties(${target} PROPERTIES
            OUTPUT_NAME ${name}
            RUNTIME_OUTPUT_DIRECTORY ${CMAKE_BINARY_DIR}/${tree}/${chapter})
    endforeach()
endfunction()

# course_test(DRIVER target
#             KIND lesson|graded|lib [EXERCISE N]
#             CASES case... | CASES_FROM source.c [CASE_PREFIX prefix]
#             [PROGRAMS chapter-program...]
#             [EXERCISE_PROGRAMS exercise-program...]
#             [TIMEOUT seconds]
#             [POINTS n])
#
# Registers one CTest test per case of a test program built with the test kit.
# Tests are named chNN.CASE (lesson, lib) or chNN.exN.CASE (graded) and labelled
# chNN plus their kind, so "ctest -L ch01" or "ctest -L graded" pick them out;
# "lib" marks the white-box tests of a chapter's libraries.
# Each program is handed to the test as NAME=PATH.  Exercise programs come
# from the tree named by COURSE_GRADE_TREE: the solutions in the normal
# build, the learner's exercises when grading.  POINTS (graded tests only,
# default 1) is what each case is worth in scripts/grade-class's scores; it
# is kept as the label "points=N", where the graders read it.
#
# The cases are listed once, in the driver's own table of struct tk_case:
# CASES_FROM names that source file, and every entry written
#
#     {"case-name", function},
#
# becomes a test: a case name of lowercase letters, digits, dots and dashes,
# a function name in lowercase (so {"-l", NULL} in an argument list is not
# taken for a case).  One entry or more per line; an entry built by a macro
# is not seen, so write each out.  CMake reads the file again whenever it changes.
# With CASE_PREFIX, only the entries whose name starts with the prefix are
# taken, and the test's name leaves the prefix out: one driver may hold the
# cases of three exercises, "ex1.broadcast" becoming test ch03.ex1.broadcast.
# CASES lists the names by hand instead (for drivers not converted yet).
function(course_test)
    cmake_parse_arguments(arg "" "DRIVER;KIND;EXERCISE;TIMEOUT;CASES_FROM;CASE_PREFIX;POINTS"
                          "CASES;PROGRAMS;EXERCISE_PROGRAMS" ${ARGN})
    get_filename_component(chapter ${CMAKE_CURRENT_SOURCE_DIR} NAME)
    string(SUBSTRING ${chapter} 0 2 number)
    if(NOT arg_TIMEOUT)
        set(arg_TIMEOUT 30)
    endif()
    if(arg_KIND STREQUAL "graded")
        if(NOT arg_EXERCISE)
            message(FATAL_ERROR "graded test ${arg_DRIVER} needs EXERCISE")
        endif()
        set(prefix ch${number}.ex${arg_EXERCISE})
    elseif(arg_KIND STREQUAL "lesson" OR arg_KIND STREQUAL "lib")
        set(prefix ch${number})
    else()
        message(FATAL_ERROR "course_test KIND must be lesson, graded or lib")
    endif()

    set(labels "ch${number};${arg_KIND}")
    if(DEFINED arg_POINTS)
        if(NOT arg_KIND STREQUAL "graded" OR NOT arg_POINTS MATCHES "^[0-9]+$")
            message(FATAL_ERROR "POINTS of ${arg_DRIVER}: a whole number, for graded tests")
        endif()
        list(APPEND labels "points=${arg_POINTS}")
    endif()

    set(program_args "")
    foreach(program ${arg_PROGRAMS})
        list(APPEND program_args "${program}=$<TARGET_FILE:${program}>")
    endforeach()
    foreach(program ${arg_EXERCISE_PROGRAMS})
        set(target ${COURSE_GRADE_TREE}-${chapter}-${program})
        list(APPEND program_args "${program}=$<TARGET_FILE:${target}>")
    endforeach()

    set(cases ${arg_CASES})
    if(arg_CASES_FROM)
        course_cases_from(${CMAKE_CURRENT_SOURCE_DIR}/${arg_CASES_FROM} "${arg_CASE_PREFIX}" cases)
    endif()
    if(NOT cases)
        message(FATAL_ERROR "course_test ${arg_DRIVER}: no cases")
    endif()

    # The test kit's own watchdog fires a little before CTest's, so that a
    # stuck case still cleans up after itself and says why it failed.
    math(EXPR watchdog "${arg_TIMEOUT} - 3")
    string(LENGTH "${arg_CASE_PREFIX}" prefix_length)
    foreach(case ${cases})
        string(SUBSTRING ${case} ${prefix_length} -1 name)
        add_test(NAME ${prefix}.${name}
                 COMMAND ${arg_DRIVER} ${case} ${program_args})
        set_tests_properties(${prefix}.${name} PROPERTIES
            LABELS "${labels}"
            TIMEOUT ${arg_TIMEOUT}
            SKIP_RETURN_CODE 77
            ENVIRONMENT "TK_TIMEOUT=${watchdog}")
    endforeach()
endfunction()

# course_cases_from(SOURCE PREFIX OUT): the names of the {"name", function}
# entries of SOURCE that start with PREFIX (all if it is empty), into OUT.
function(course_cases_from source case_prefix out)
    set_property(DIRECTORY APPEND PROPERTY CMAKE_CONFIGURE_DEPENDS ${source})
    set(entry_regex "{\"[a-z0-9][a-z0-9.-]*\", *[a-z_][a-z0-9_]*}")
    file(STRINGS ${source} lines REGEX "${entry_regex}")
    set(names "")
    foreach(line ${lines})
        string(REGEX MATCHALL "${entry_regex}" entries "${line}")
        foreach(entry ${entries})
            string(REGEX REPLACE "^{\"([^\"]+)\".*" "\\1" name "${entry}")
            string(FIND "${name}" "${case_prefix}" at)
            if(at EQUAL 0)
                list(APPEND names ${name})
            endif()
        endforeach()
    endforeach()
    set(${out} ${names} PARENT_SCOPE)
endfunction()

# course_test_driver(NAME SOURCES file...)
#
# A test program: links the test kit, and nothing of the code it tests, so
# that it judges the programs from the outside as any client would.
function(course_test_driver name)
    cmake_parse_arguments(arg "" "" "SOURCES" ${ARGN})
    add_executable(${name} ${arg_SOURCES})
    target_link_libraries(${name} PRIVATE testkit)
endfunction()

# course_fuzz(NAME SOURCES file... [LIBS lib...] CORPUS dir)
#
# A fuzz target of the chapter: SOURCES define LLVMFuzzerTestOneInput() and
# include the library sources under test (compiled into the target, so that
# libFuzzer's coverage instrumentation reaches them); the chapter's lib/
# folder is on the include path.  CORPUS is the folder of seed inputs, and
# of every input that once found a bug (name those regression-*).
#
# Built with any compiler: fuzz-chNN-NAME-replay, the target with the small
# main() of scripts/fuzz-replay.c, which runs every input of CORPUS once;
# the test chNN.fuzz-replay.NAME (labels chNN and fuzz) runs it.
# Built with clang when it has libFuzzer: fuzz-chNN-NAME in build/fuzz/,
# instrumented with libFuzzer, AddressSanitizer and UBSan, listed in
# build/fuzz-targets.txt for scripts/fuzz, which runs each for a bounded time.
include(CheckCSourceCompiles)
file(WRITE ${CMAKE_BINARY_DIR}/fuzz-targets.txt "")
function(course_fuzz name)
    cmake_parse_arguments(arg "" "CORPUS" "SOURCES;LIBS" ${ARGN})
    get_filename_component(chapter ${CMAKE_CURRENT_SOURCE_DIR} NAME)
    string(SUBSTRING ${chapter} 0 2 number)
    set(target fuzz-ch${number}-${name})
    get_filename_component(corpus ${arg_CORPUS} ABSOLUTE)
    if(NOT IS_DIRECTORY ${corpus})
        message(FATAL_ERROR "course_fuzz(${name}): no corpus folder ${corpus}")
    endif()

    add_executable(${target}-replay ${arg_SOURCES} ${PROJECT_SOURCE_DIR}/scripts/fuzz-replay.c)
    target_include_directories(${target}-replay PRIVATE ${CMAKE_CURRENT_SOURCE_DIR}/lib)
    target_link_libraries(${target}-replay PRIVATE ${arg_LIBS})
    add_test(NAME ch${number}.fuzz-replay.${name} COMMAND ${target}-replay ${corpus})
    set_tests_properties(ch${number}.fuzz-replay.${name} PROPERTIES
        LABELS "ch${number};fuzz" TIMEOUT 60)

    if(CMAKE_C_COMPILER_ID MATCHES "Clang" AND NOT DEFINED COURSE_HAVE_LIBFUZZER)
        set(CMAKE_REQUIRED_FLAGS -fsanitize=fuzzer)
        set(CMAKE_REQUIRED_LINK_OPTIONS -fsanitize=fuzzer)
        check_c_source_compiles([[
            #include <stddef.h>
            #include <stdint.h>
            int LLVMFuzzerTestOneInput(const uint8_t *d, size_t n) { (void)d; (void)n; return 0; }
        ]] COURSE_HAVE_LIBFUZZER)
    endif()
    if(NOT COURSE_HAVE_LIBFUZZER)
        return()
    endif()
    set(flags -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=all)
    add_executable(${target} ${arg_SOURCES})
    target_include_directories(${target} PRIVATE ${CMAKE_CURRENT_SOURCE_DIR}/lib)
    target_link_libraries(${target} PRIVATE ${arg_LIBS})
    target_compile_options(${target} PRIVATE ${flags})
    target_link_options(${target} PRIVATE ${flags})
    set_target_properties(${target} PROPERTIES RUNTIME_OUTPUT_DIRECTORY ${CMAKE_BINARY_DIR}/fuzz)
    file(APPEND ${CMAKE_BINARY_DIR}/fuzz-targets.txt
         "${number} ${target} ${CMAKE_BINARY_DIR}/fuzz/${target} ${corpus}\n")
endfunction()
