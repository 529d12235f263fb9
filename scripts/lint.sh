#!/bin/sh
# make lint: the C code against cppcheck and the repository's .clang-format.
#
#   scripts/lint.sh        both; exit status 1 when either finds something
#
# cppcheck runs with warning, style, performance and portability checks, for
# Linux; every finding left is either fixed in the code or suppressed where it
# stands, with its reason (/* cppcheck-suppress ID ; why */), but one below. clang-format --dry-run must change
# nothing in any .c or .h file of the layers, the tests and the tools.
# The one C++ file (verifier/zxread.cpp, zxing-cpp's C face) goes through both: cppcheck
# picks .cpp files out of the folders and checks them as C++, clang-format formats them too.
set -u
cd "$(dirname "$0")/.."
status=0
FILES=$(git ls-files '*.c' '*.h' '*.cpp' | grep -v '^web/')
echo "== cppcheck $(cppcheck --version | awk '{print $2}')"
# webapi.c's per-request state is a _Thread_local struct whose members the
# observer callbacks read: cppcheck does not follow thread-local variables and
# calls each member unused.
if ! cppcheck --enable=warning,style,performance,portability --std=c11 --inline-suppr --quiet --error-exitcode=1 \
  -I. -D__linux__ --suppress=missingIncludeSystem --suppress=unusedStructMember:verifier/service/webapi.c \
  --template='{file}:{line}: {severity} {id}: {message}' common qr http issuer federation verifier; then
  status=1
fi
echo "== clang-format $(clang-format --version | grep -oE '[0-9]+\.[0-9.]+' | head -1) --dry-run"
# shellcheck disable=SC2086
if ! clang-format --dry-run --Werror $FILES; then
  status=1
fi
if [ "$status" -eq 0 ]; then echo "lint: clean"; else echo "lint: findings above"; fi
exit "$status"
