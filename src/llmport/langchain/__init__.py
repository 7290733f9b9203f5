"""A LangChain chat model over any llmport port (extra ``langchain``).

::

    from llmport.langchain import ChatLlmport

    model = ChatLlmport("anthropic:claude-sonnet-4-5", temperature=0)
    for chunk in model.bind_tools([get_weather]).stream("Weather in Paris?"):
        ...

Nothing here is imported by ``import llmport``.
"""

import importlib.util as _util

if _util.find_spec("langchain_core") is None:
    raise ImportError(
        "llmport.langchain needs the 'langchain' extra: pip install 'llmport[langchain]'"
    )

from llmport.langchain.chat_model import ChatLlmport
from llmport.langchain.chunks import IncompleteToolCallsError

__all__ = ["ChatLlmport", "IncompleteToolCallsError"]
