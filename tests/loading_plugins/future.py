"""A plugin whose distribution requires a Cergas of the future: Cergas must refuse it before
importing it (tests/test_plugin_contract.py)."""

raise AssertionError("an incompatible plugin was imported")
