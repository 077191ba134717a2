"""The ``plesk-mail`` command: click objects, values, rows, output, ledgers.

The top layer: may import every other package of the runtime; nothing
imports it but the generated ``cli`` module and the console script.
"""
