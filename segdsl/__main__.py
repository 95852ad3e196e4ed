"""`python -m segdsl`: the command line, as the `segdsl` script runs it."""

from .tools.cli import main

main()
