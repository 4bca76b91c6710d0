# stop_bot.ps1 [ARGS...]: bot_pid_manager.py stop ARGS, run from the repository root; its exit code is this script's.
$ErrorActionPreference = 'Stop'
. (Join-Path $PSScriptRoot "common.ps1")
Invoke-PidManager stop $args
