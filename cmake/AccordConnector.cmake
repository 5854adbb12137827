# SPDX-License-Identifier: Apache-2.0
# accord_add_connector(NAME SOURCES... [LIBS ...] [INCLUDES ...] [OUTPUT_DIR dir] [ALLOW_UNDEFINED])
#
# The one way a connector plugin is built: a MODULE library with hidden
# visibility, -Wl,--no-undefined and a version script exporting only
# accord_connector_entry. The output lands in the plugin directory of the
# build tree (lib/accord/plugins), mirroring the install layout, and is made
# not group/other-writable because the host refuses such files.
#
# Installed with AccordConfig.cmake (find_package(Accord) includes it, with
# connector.map beside it), so a third party's connector is built exactly as
# Accord's own are.
set(ACCORD_CONNECTOR_MAP "${CMAKE_CURRENT_LIST_DIR}/connector.map")
set(ACCORD_PLUGIN_BUILD_DIR "${PROJECT_BINARY_DIR}/lib/accord/plugins")
# Not ${CMAKE_INSTALL_LIBDIR}: the accord program looks in <prefix>/lib/accord/plugins
# (bin/../lib/accord/plugins), whatever the platform's library folder is called.
set(ACCORD_PLUGIN_INSTALL_DIR "lib/accord/plugins")

function(accord_add_connector name)
  cmake_parse_arguments(ARG "ALLOW_UNDEFINED;NO_INSTALL" "OUTPUT_DIR;OUTPUT_NAME" "SOURCES;LIBS;INCLUDES;DEFINES" ${ARGN})
  if(NOT ARG_SOURCES)
    set(ARG_SOURCES ${ARG_UNPARSED_ARGUMENTS})
  endif()
  if(NOT ARG_OUTPUT_DIR)
    set(ARG_OUTPUT_DIR "${ACCORD_PLUGIN_BUILD_DIR}")
  endif()
  add_library(${name} MODULE ${ARG_SOURCES})
  target_link_libraries(${name} PRIVATE accord::sdk ${ARG_LIBS})
  target_include_directories(${name} PRIVATE ${ARG_INCLUDES})
  target_compile_definitions(${name} PRIVATE ${ARG_DEFINES})
  set(out_name "${name}")
  if(ARG_OUTPUT_NAME)
    set(out_name "${ARG_OUTPUT_NAME}")
  endif()
  set_target_properties(${name} PROPERTIES
    PREFIX "lib"
    OUTPUT_NAME "accord-${out_name}"
    C_VISIBILITY_PRESET hidden
    CXX_VISIBILITY_PRESET hidden
    VISIBILITY_INLINES_HIDDEN ON
    LIBRARY_OUTPUT_DIRECTORY "${ARG_OUTPUT_DIR}"
    LINK_DEPENDS "${ACCORD_CONNECTOR_MAP}")
  target_link_options(${name} PRIVATE "LINKER:--version-script=${ACCORD_CONNECTOR_MAP}")
  if(NOT ARG_ALLOW_UNDEFINED)
    target_link_options(${name} PRIVATE "LINKER:--no-undefined")
  endif()
  add_custom_command(TARGET ${name} POST_BUILD
    COMMAND chmod go-w "$<TARGET_FILE:${name}>" "$<TARGET_FILE_DIR:${name}>"
    VERBATIM)
  set_property(GLOBAL APPEND PROPERTY ACCORD_CONNECTORS ${name})
  if(NOT ARG_NO_INSTALL)
    install(TARGETS ${name} LIBRARY DESTINATION "${ACCORD_PLUGIN_INSTALL_DIR}")
  endif()
endfunction()
