#!/usr/bin/env bash
# stop_bot.sh [ARGS...]: bot_pid_manager.py stop ARGS, run from the repository root; its exit code is this script's.
set -euo pipefail
. "$(dirname "${BASH_SOURCE[0]}")/common.sh"
exec "$python" executables/bot_pid_manager.py stop "$@"
