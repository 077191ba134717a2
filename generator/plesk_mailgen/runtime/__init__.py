"""The runtime of the generated package: what does not depend on the schemas.

Ordinary Python, linted, type-checked and tested here where it is written;
``plesk-mailgen generate`` copies these modules verbatim (plus a header) into
``generated/plesk_mail/runtime/``. Nothing in here imports the generated
modules: what they define (the codec, the version table) is passed in.

Four packages over a common base, each importing only those below it:
``cli`` (the command) over ``fleet`` (config, many servers) over ``engine``
(calls to packets, sans I/O) over ``transport`` (bytes over HTTP) over
``base`` (errors, masking, versions, safe XML). ``tests/test_layout.py``
holds them to it with import-linter's layers contract.
"""
