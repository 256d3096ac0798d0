# install.cmake - what `make install PREFIX=...` puts where:
#   lib/libweft.so.MAJOR (+ .so.VERSION, .so), lib/libweft.a
#   include/weft.h, include/weft/*.h
#   lib/pkgconfig/weft.pc          pkg-config --cflags --libs weft
#   lib/cmake/weft/                find_package(weft) -> weft::weft
#   share/man/man7/weft.7          the shared server flags
# Every path is relative to the prefix, which can be chosen at install
# time (cmake --install --prefix): weft.pc finds its prefix from where it
# lies (${pcfiledir}) and the CMake files from theirs.
include(CMakePackageConfigHelpers)

set_target_properties(weft_shared PROPERTIES EXPORT_NAME weft)
install(TARGETS weft_shared EXPORT weftTargets
        LIBRARY DESTINATION ${CMAKE_INSTALL_LIBDIR}
        INCLUDES DESTINATION ${CMAKE_INSTALL_INCLUDEDIR})
install(TARGETS weft ARCHIVE DESTINATION ${CMAKE_INSTALL_LIBDIR})
install(FILES include/weft.h DESTINATION ${CMAKE_INSTALL_INCLUDEDIR})
install(DIRECTORY include/weft DESTINATION ${CMAKE_INSTALL_INCLUDEDIR} FILES_MATCHING PATTERN "*.h")

# pkg-config. The shared library needs only its own name on the link
# line; the static one (pkg-config --static) needs every dependency:
# those with a .pc file as Requires.private, wslay (no .pc file in
# Debian) and the threads as Libs.private. jansson is a public
# requirement: weft/jansson.h includes <jansson.h>.
file(RELATIVE_PATH WEFT_PC_TO_PREFIX "/${CMAKE_INSTALL_LIBDIR}/pkgconfig" "/")
string(REGEX REPLACE "/$" "" WEFT_PC_TO_PREFIX "${WEFT_PC_TO_PREFIX}")
configure_file(cmake/weft.pc.in ${PROJECT_BINARY_DIR}/weft.pc @ONLY)
install(FILES ${PROJECT_BINARY_DIR}/weft.pc DESTINATION ${CMAKE_INSTALL_LIBDIR}/pkgconfig)

# The CMake package: weft::weft is the shared library.
install(EXPORT weftTargets NAMESPACE weft:: DESTINATION ${CMAKE_INSTALL_LIBDIR}/cmake/weft)
configure_package_config_file(cmake/weftConfig.cmake.in ${PROJECT_BINARY_DIR}/weftConfig.cmake
                              INSTALL_DESTINATION ${CMAKE_INSTALL_LIBDIR}/cmake/weft)
write_basic_package_version_file(${PROJECT_BINARY_DIR}/weftConfigVersion.cmake
                                 COMPATIBILITY SameMajorVersion)
install(FILES ${PROJECT_BINARY_DIR}/weftConfig.cmake ${PROJECT_BINARY_DIR}/weftConfigVersion.cmake
        DESTINATION ${CMAKE_INSTALL_LIBDIR}/cmake/weft)

# weft(7): the shared server flags, from weft-hello's own --help
# (scripts/gen-man.py), so the page lists exactly what the code parses.
add_custom_command(OUTPUT ${PROJECT_BINARY_DIR}/weft.7
                   COMMAND /usr/bin/python3 ${PROJECT_SOURCE_DIR}/scripts/gen-man.py $<TARGET_FILE:weft-hello>
                           ${PROJECT_BINARY_DIR}/weft.7 ${PROJECT_VERSION}
                   DEPENDS weft-hello ${PROJECT_SOURCE_DIR}/scripts/gen-man.py VERBATIM)
add_custom_target(weft_man ALL DEPENDS ${PROJECT_BINARY_DIR}/weft.7)
install(FILES ${PROJECT_BINARY_DIR}/weft.7 DESTINATION ${CMAKE_INSTALL_MANDIR}/man7)
