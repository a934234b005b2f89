"""`python -m harness`: the same command as `harness`."""

from harness.cli.main import main

main()
