"""What every layer shares: errors, masking of secrets, protocol versions, safe XML.

Imports nothing of the runtime's other packages (the layer rule in
``pyproject.toml``, checked by ``tests/test_layout.py``).
"""
