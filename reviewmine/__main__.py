"""`python -m reviewmine` is the same as the `reviewmine` command."""

from .cli import main

main()
