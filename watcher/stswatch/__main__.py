"""`python -m stswatch`: the same command line as the `stswatch` script."""

from stswatch.cli import main

if __name__ == "__main__":
    main()
