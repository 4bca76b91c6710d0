# check_bot_status.ps1 [ARGS...]: bot_pid_manager.py status ARGS, run from the repository root; its exit code is this script's.
$ErrorActionPreference = 'Stop'
. (Join-Path $PSScriptRoot "common.ps1")
Invoke-PidManager status $args
