"""Operator control of a running paper session.

:mod:`.channel` is the local control channel (``control.json``, a token-guarded TCP socket on
127.0.0.1), :mod:`.requests` is what the session does with each request (an object the
session owns and hands to the channel), :mod:`.operator` holds the pause/resume/force-exit
commands and :mod:`.manual` the injected (QA) signals.
"""
