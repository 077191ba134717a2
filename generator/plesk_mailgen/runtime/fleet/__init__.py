"""Many servers: the config file, connecting by name, routing by domain, fleets.

May import ``engine``, ``transport`` and ``base``, never ``cli``.
"""
