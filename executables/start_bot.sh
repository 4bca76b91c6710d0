#!/usr/bin/env bash
# start_bot.sh [ARGS...]: bot_pid_manager.py start ARGS; its exit code is this script's.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
python="$root/.venv/bin/python"
[ -x "$python" ] || python=python3
exec "$python" "$root/executables/bot_pid_manager.py" start "$@"
