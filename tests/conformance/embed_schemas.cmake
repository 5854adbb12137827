# SPDX-License-Identifier: Apache-2.0
# cmake -DDIR=sdk/schema -DOUT=file.cpp -P embed_schemas.cmake
# Compiles the SDK's JSON Schemas into the conformance kit, which third
# parties run without the source tree: a table of {file name, text}.
file(GLOB files RELATIVE "${DIR}" "${DIR}/*.schema.json")
list(SORT files)
set(body "// generated from ${DIR}; do not edit\n#include <string_view>\n#include <utility>\n")
string(APPEND body "extern const std::pair<std::string_view, std::string_view> kAccordSchemas[];\n")
string(APPEND body "extern const unsigned kAccordSchemaCount;\n")
string(APPEND body "const std::pair<std::string_view, std::string_view> kAccordSchemas[] = {\n")
list(LENGTH files n)
foreach(f ${files})
  file(READ "${DIR}/${f}" content)
  string(APPEND body "  {\"${f}\", R\"accord_schema(${content})accord_schema\"},\n")
endforeach()
string(APPEND body "};\nconst unsigned kAccordSchemaCount = ${n};\n")
file(WRITE "${OUT}.tmp" "${body}")
file(COPY_FILE "${OUT}.tmp" "${OUT}" ONLY_IF_DIFFERENT)
file(REMOVE "${OUT}.tmp")
