"""The tests of org, as a package: `from tests.helpers import run_org`."""
