"""The plugins that ship with Cergas. Each is declared as an entry point (group `cergas`) in
setup.cfg and loads exactly like an external plugin."""
