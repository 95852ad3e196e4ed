"""The language: text → syntax tree, and back.

Owns the grammar (grammar/segdsl.lark, loaded by `parser`), the syntax tree
(`syntax`), the parser, the resolution of imports into a program
(`program`), comments (`comments`), the formatter (`formatter`) and the
diagnostics every later stage reports with (`diagnostics`).

May import: nothing else of segdsl. This is the lowest stage; every other
package may import it.
"""
