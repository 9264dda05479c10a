"""``python -m search`` runs the command-line interface."""

from search.cli import main

main()
