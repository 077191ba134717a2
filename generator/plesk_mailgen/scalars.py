"""XSD built-in types as the operation model's scalars, with their value ranges.

The ranges are the XSD types' own (``xs:unsignedInt`` is 0 to 2**32 - 1), so
local validation refuses what the schema refuses.
"""

from __future__ import annotations

SCALARS: dict[str, tuple[str, int | None, int | None]] = {
    **{
        n: ("str", None, None)
        for n in (
            "string",
            "normalizedString",
            "token",
            "anyURI",
            "anySimpleType",
            "NMTOKEN",
            "Name",
            "NCName",
            "language",
            "ID",
        )
    },
    # XSD value ranges, so local validation refuses what the schema refuses.
    "integer": ("int", None, None),
    "long": ("int", -(2**63), 2**63 - 1),
    "int": ("int", -(2**31), 2**31 - 1),
    "short": ("int", -(2**15), 2**15 - 1),
    "byte": ("int", -(2**7), 2**7 - 1),
    "negativeInteger": ("int", None, -1),
    "nonPositiveInteger": ("int", None, 0),
    "nonNegativeInteger": ("int", 0, None),
    "positiveInteger": ("int", 1, None),
    "unsignedLong": ("int", 0, 2**64 - 1),
    "unsignedInt": ("int", 0, 2**32 - 1),
    "unsignedShort": ("int", 0, 2**16 - 1),
    "unsignedByte": ("int", 0, 2**8 - 1),
    "boolean": ("bool", None, None),
    "date": ("date", None, None),
    "dateTime": ("datetime", None, None),
    **{n: ("float", None, None) for n in ("double", "float", "decimal")},
    "base64Binary": ("bytes", None, None),
}
