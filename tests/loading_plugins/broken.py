"""A plugin that cannot be imported (a missing dependency, say)."""

raise ImportError("No module named 'surat_lib'")
