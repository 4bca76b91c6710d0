# check_bot_status.ps1 [ARGS...]: bot_pid_manager.py status ARGS; its exit code is this script's.
$root = Split-Path -Parent $PSScriptRoot
$python = Join-Path $root ".venv\Scripts\python.exe"
if (-not (Test-Path $python)) { $python = "python" }
& $python (Join-Path $root "executables\bot_pid_manager.py") status @args
exit $LASTEXITCODE
