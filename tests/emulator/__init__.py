"""A local stand-in for a Plesk server's XML API ``mail`` operator."""
