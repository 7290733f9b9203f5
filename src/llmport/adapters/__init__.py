"""One module per vendor wire: encode (pure) -> decode (stateful, pure) -> a thin HTTP shell.

Adapters never import each other (the OpenAI-compatible codec is the one shared piece); each
module is imported only when its adapter is used.
"""
