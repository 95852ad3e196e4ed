"""The editor support of segdsl: a language server (`segdsl lsp`, the `lsp` extra).

It is a tool built from the others: it checks as `segdsl check` does (check_command)
and counts members with the API's model. Only `server` imports pygls; the modules
beside it (analysis, index, completion, describe, outline, lens) are plain segdsl and
are loaded by the server alone, so no other command pays for them.
"""
