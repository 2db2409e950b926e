#!/usr/bin/env bash
# Checks that every C++ file follows .clang-format (clang-format 14, Debian 12); CI runs it.
#   bash scripts/check_format.sh          report the files that differ, exit 1 if any
#   bash scripts/check_format.sh --fix    format them in place
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
mapfile -t files < <(git ls-files --cached --others --exclude-standard '*.hpp' '*.cpp')
if [[ "${1:-}" == "--fix" ]]; then
  clang-format -i "${files[@]}"
  exit 0
fi
clang-format --dry-run -Werror "${files[@]}"
echo "check_format: ${#files[@]} files formatted"
