"""The ``fivestar`` command line.

Every command starts by importing about two hundred modules: from source that is 0.6-0.8 s
a command, from bytecode about 0.45 s, and a script such as the examples' checkers runs sixty
commands. Where PYTHONDONTWRITEBYTECODE is set, a checkout not byte-compiled by ``make``
(``pip install -e .`` alone) compiled them again on every command; the command line writes
its bytecode once, as Python does by default (set here, before any of its modules loads)."""

import sys

sys.dont_write_bytecode = False
