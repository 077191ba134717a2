"""plesk-mailgen: generate typed Plesk XML API mail clients, one per protocol version."""

__version__ = "0.1.0"
