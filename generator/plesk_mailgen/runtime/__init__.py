"""The runtime of the generated package: what does not depend on the schemas.

Ordinary Python, linted, type-checked and tested here where it is written;
``plesk-mailgen generate`` copies these modules verbatim (plus a header) into
``generated/plesk_mail/runtime/``. Nothing in here imports the generated
modules: what they define (the codec, the version table) is passed in.
"""
