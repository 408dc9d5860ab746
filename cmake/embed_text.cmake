# Writes OUT, a C++ file defining NAME (a std::string_view in namespace NS)
# with the text of IN, so a document in the repository ships inside the
# binary. Run with cmake -P at build time.
file(READ "${IN}" content)
file(WRITE "${OUT}" "// Generated at build time from ${IN}: do not edit.\n#include <string_view>\nnamespace ${NS} {\nextern const std::string_view ${NAME};\nconst std::string_view ${NAME} = R\"portico_embedded(${content})portico_embedded\";\n}  // namespace ${NS}\n")
