"""Bytes to a Plesk server and back: HTTP, the deadline, retries, endpoints,
credentials and recordings.

Knows packets only as bytes; may import ``base``, never ``engine``, ``fleet``
or ``cli``.
"""
