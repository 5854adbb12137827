# SPDX-License-Identifier: Apache-2.0
# cmake -DIN=file -DOUT=file.cpp -DNAME=symbol -P embed.cmake
# Embeds a text file as `extern const char NAME[]` (the pipeline schema).
file(READ "${IN}" content)
file(WRITE "${OUT}" "// generated from ${IN}; do not edit\nextern const char ${NAME}[];\nconst char ${NAME}[] = R\"accord_embed(${content})accord_embed\";\n")
