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
#             KIND lesson|graded [EXERCISE N]
#             CASES case...
#             [PROGRAMS chapter-program...]
#             [EXERCISE_PROGRAMS exercise-program...]
#             [TIMEOUT seconds])
#
# Registers one CTest test per case of a test program built with the test kit.
# Tests are named chNN.CASE (lesson) or chNN.exN.CASE (graded) and labelled
# chNN plus their kind, so "ctest -L ch01" or "ctest -L graded" pick them out.
# Each program is handed to the test as NAME=PATH.  Exercise programs come
# from the tree named by COURSE_GRADE_TREE: the solutions in the normal
# build, the learner's exercises when grading.
function(course_test)
    cmake_parse_arguments(arg "" "DRIVER;KIND;EXERCISE;TIMEOUT"
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
    elseif(arg_KIND STREQUAL "lesson")
        set(prefix ch${number})
    else()
        message(FATAL_ERROR "course_test KIND must be lesson or graded")
    endif()

    set(program_args "")
    foreach(program ${arg_PROGRAMS})
        list(APPEND program_args "${program}=$<TARGET_FILE:${program}>")
    endforeach()
    foreach(program ${arg_EXERCISE_PROGRAMS})
        set(target ${COURSE_GRADE_TREE}-${chapter}-${program})
        list(APPEND program_args "${program}=$<TARGET_FILE:${target}>")
    endforeach()

    # The test kit's own watchdog fires a little before CTest's, so that a
    # stuck case still cleans up after itself and says why it failed.
    math(EXPR watchdog "${arg_TIMEOUT} - 3")
    foreach(case ${arg_CASES})
        add_test(NAME ${prefix}.${case}
                 COMMAND ${arg_DRIVER} ${case} ${program_args})
        set_tests_properties(${prefix}.${case} PROPERTIES
            LABELS "ch${number};${arg_KIND}"
            TIMEOUT ${arg_TIMEOUT}
            SKIP_RETURN_CODE 77
            ENVIRONMENT "TK_TIMEOUT=${watchdog}")
    endforeach()
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
