"""The client engine, sans I/O: calls to packets, answers to results.

Checks and validates values, packs calls into packets, negotiates the
protocol, resolves sites and addresses, and drives a transport (sync or
async). May import ``transport`` and ``base``, never ``fleet`` or ``cli``.
"""
