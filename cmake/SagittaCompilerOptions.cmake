# Warnings and sanitizers shared by every Sagitta target (through sagitta_options).
add_library(sagitta_options INTERFACE)
target_compile_options(sagitta_options INTERFACE
  -Wall -Wextra -Wpedantic -Wshadow -Wconversion -Wsign-conversion
  -Wnon-virtual-dtor -Wold-style-cast -Woverloaded-virtual -Wnull-dereference
  -Wdouble-promotion -Wformat=2 -Wimplicit-fallthrough)
if(SAGITTA_WARNINGS_AS_ERRORS)
  target_compile_options(sagitta_options INTERFACE -Werror)
endif()
if(SAGITTA_SANITIZE)
  target_compile_options(sagitta_options INTERFACE
    -fsanitize=${SAGITTA_SANITIZE} -fno-omit-frame-pointer -fno-sanitize-recover=all)
  target_link_options(sagitta_options INTERFACE -fsanitize=${SAGITTA_SANITIZE})
endif()
