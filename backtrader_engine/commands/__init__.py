"""One module per CLI command: its ``register(subparsers)`` adds the command's sub-parser
(options, and the ``handler`` that runs it); the handler is a thin call into the library.

:mod:`backtrader_engine.cli` lists the modules in the order ``bte --help`` shows them.
"""
