"""The bot as a long-lived, PID-managed service: run folder, PID file, process, logs.

Nothing here knows what the bot trades: :mod:`.manager` starts, stops and restarts a detached
``paper`` process for one run folder (:mod:`.paths`) with the command line its caller checked
(:mod:`.bot_command`); :mod:`.pidfile` and :mod:`.process` handle liveness and signals;
:mod:`.session` sees whether the session is ready and whether its state folder is free;
:mod:`.statelock` keeps one writer per state folder; :mod:`.logging_setup` and :mod:`.logtail`
write and read its logs; :mod:`.endpoints` checks the monitoring URLs; and
:mod:`.process_status` says how the process is doing. The service imports nothing of the
paper package (the paper session imports the lock and the control file's name from here).
Shells reach all of this through :mod:`backtrader_engine.operations`.
"""
