#!/usr/bin/env bash
# The vidkeep demo: builds what is missing, starts the demo chat app and a
# browser with the extension (a visible window when $DISPLAY is set, headless
# otherwise) in a temp folder, generates a video in the chat, and prints what
# vidkeep saved and synced, with the path of a popup screenshot. Nothing is
# written to your own browser profile or vidkeep data; everything it started
# is ended when it finishes.
#
#   tests/demo.sh                       Chromium
#   tests/demo.sh --browser firefox     Firefox ESR
#   tests/demo.sh --mode sse            the real app's SSE version (also ws, tool; default demo)
#   tests/demo.sh --headless --prompt "a red fox in the snow" --keep
set -uo pipefail
cd "$(dirname "$0")/.." || exit 1
bin=${VIDKEEP_BIN:-$PWD/build/bin}
# shellcheck source=tests/e2e/prepare.sh
. tests/e2e/prepare.sh
e2e_prepare "$bin" || exit 1
export VIDKEEP_BIN=$bin
exec node tests/e2e/demo.mjs "$@"
