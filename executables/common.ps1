# Dot-sourced by start_bot.ps1, stop_bot.ps1 and check_bot_status.ps1.
$ErrorActionPreference = 'Stop'
$root = Split-Path -Parent $PSScriptRoot
# Task Scheduler starts scripts in C:\Windows\System32: run\, configs\ and relative paths in the
# arguments are found from the repository root, whatever the starting folder.
Set-Location -LiteralPath $root

function Find-Python {
    # The interpreter as a command plus its leading arguments: the venv's first, then the py
    # launcher, then python. A bare "python" can be the Microsoft Store alias under WindowsApps,
    # which opens the Store instead of running anything, so it is skipped.
    $venv = Join-Path $root ".venv\Scripts\python.exe"
    if (Test-Path -LiteralPath $venv) { return , @($venv) }
    if (Get-Command py -CommandType Application -ErrorAction SilentlyContinue) { return , @("py", "-3") }
    $python = Get-Command python -CommandType Application -ErrorAction SilentlyContinue |
        Where-Object { $_.Source -notlike "*\WindowsApps\*" } | Select-Object -First 1
    if ($python) { return , @($python.Source) }
    throw "no Python found: create $root\.venv (see README.md) or install Python 3.11 with the py launcher"
}

function Invoke-PidManager([string] $Action, [object[]] $Arguments) {
    # Runs bot_pid_manager.py ACTION ARGUMENTS and exits with its code; a missing Python ends
    # the script with one line on stderr and exit code 127.
    try { $python = Find-Python } catch {
        [Console]::Error.WriteLine("$(Split-Path -Leaf $MyInvocation.PSCommandPath): $($_.Exception.Message)")
        exit 127
    }
    $exe = $python[0]
    $lead = @($python | Select-Object -Skip 1)
    & $exe @lead (Join-Path $root "executables\bot_pid_manager.py") $Action @Arguments
    exit $LASTEXITCODE
}
