"""The `vox` commands that work on a store: the ones `docs/cli-store.md` documents.

Imported by the test modules of this folder (pytest puts the folder on sys.path; the module has
a unique name in the tests tree).
"""

STORE_COMMANDS = (
    "init",
    "ls",
    "cat",
    "show",
    "log",
    "tag",
    "untag",
    "refs",
    "gc",
    "fsck",
    "du",
    "stats",
    "export",
    "import",
    "verify",
)
