"""`python -m org` runs the CLI."""

from org.cli import main

if __name__ == "__main__":
    main()
