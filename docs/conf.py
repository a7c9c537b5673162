"""Sphinx configuration: the guide (Markdown) and the API reference (from the docstrings).

Build the HTML with ``python -m sphinx -W --keep-going -b html docs docs/_build/html``
and run every example of the docs with ``-b doctest`` instead of ``-b html``.

Two checks keep the reference whole, and fail a ``-W`` build:

* every name in the ``__all__`` of the public modules is documented (directly, or
  under ``grpc_interceptor`` when the package re-exports it);
* every object autodoc documents has a docstring.

The build needs no network: there is no intersphinx mapping, and references to
names of other packages (grpc, protobuf, the standard library) are plain text.
"""

from __future__ import annotations

import doctest
import importlib
import inspect
import sys
from pathlib import Path
from types import ModuleType
from typing import Any

from docutils import nodes
from sphinx.application import Sphinx
from sphinx.environment import BuildEnvironment
from sphinx.pycode import ModuleAnalyzer
from sphinx.util import logging
from sphinx.util.nodes import make_refnode

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "src"))

import grpc_interceptor  # noqa: E402

project = "grpc-interceptor"
author = "grpc-interceptor authors"
copyright = "grpc-interceptor authors"
release = version = grpc_interceptor.__version__

extensions = [
    "myst_parser",
    "sphinx.ext.autodoc",
    "sphinx.ext.doctest",
    "sphinx.ext.napoleon",
    "sphinx_copybutton",
]

source_suffix = {".md": "markdown", ".rst": "restructuredtext"}
root_doc = "index"
# Files that are included into pages, or are not pages at all.
exclude_patterns = ["_build", "_static", "snippets", "**/_*.md"]

# --- MyST -----------------------------------------------------------------------------

myst_enable_extensions = ["colon_fence"]
# Anchors for headings down to ###, so that pages can link to sections.
myst_heading_anchors = 3

# --- autodoc and napoleon ----------------------------------------------------------------

autodoc_member_order = "bysource"
autodoc_typehints = "signature"
autodoc_default_options = {"show-inheritance": True}
napoleon_google_docstring = True
napoleon_numpy_docstring = False
napoleon_use_rtype = False
napoleon_attr_annotations = True

# --- References ---------------------------------------------------------------------------

# Every reference to a name of this library must resolve. Names of other packages are
# not linked (no intersphinx: the build must work offline), so they are exempt.
nitpicky = True
_EXTERNAL = (
    r"(grpc|google|typing|typing_extensions|collections|concurrent|types|asyncio|contextlib|"
    r"enum|abc|builtins|logging)(\..*)?"
)
nitpick_ignore_regex = [
    (r"py:.*", _EXTERNAL),
    # Builtins and the standard typing names as the annotations spell them.
    (r"py:.*", r"(None|str|bytes|int|float|bool|object|type|tuple|list|dict|set|frozenset|Exception)"),
    (r"py:.*", r"(Any|Callable|Iterator|Iterable|AsyncIterator|AsyncIterable|Awaitable|Coroutine|Mapping|Sequence)"),
    (r"py:.*", r"(Literal|TypeAlias|Protocol|Generic|TracebackType|StatusCode|Message)"),
    # The testing kit's generated code: the stub and servicer classes protoc writes.
    (r"py:.*", r"(grpc_interceptor\.testing\.protos\.dummy_pb2_grpc\.)?DummyService(Stub|AsyncStub|Servicer)"),
    # Private type variables of the Protocols and the testing kit.
    (r"py:.*", r"(grpc_interceptor\.[\w.]*\.)?_\w+"),
]

# --- doctest ------------------------------------------------------------------------------

# No hidden set-up: each page's examples import what they use, so that a reader who
# copies them gets the imports too. The ``>>>`` examples of the docstrings run in their
# own module's namespace under pytest (``--doctest-modules``), so this builder leaves
# them alone.
doctest_test_doctest_blocks = ""
# Exception messages are compared too (Sphinx ignores them by default).
doctest_default_flags = doctest.ELLIPSIS | doctest.DONT_ACCEPT_TRUE_FOR_1

# --- Copy buttons -------------------------------------------------------------------------

# A copied example leaves out the prompts (`>>> `, `... `, `$ `) and the output lines
# of doctests and shell sessions, so that it pastes and runs as it is.
copybutton_prompt_text = r">>> |\.\.\. |\$ "
copybutton_prompt_is_regexp = True
copybutton_only_copy_prompt_lines = True

# --- HTML ------------------------------------------------------------------------------------

html_theme = "furo"
html_title = f"grpc-interceptor {release}"
html_static_path = ["_static"]
html_show_sourcelink = False

# --- Checks ----------------------------------------------------------------------------------

logger = logging.getLogger("grpc_interceptor.docs")

#: The modules whose public names (``__all__``) the reference must document.
PUBLIC_MODULES = [
    "grpc_interceptor",
    "grpc_interceptor.server",
    "grpc_interceptor.client",
    "grpc_interceptor.exception_to_status",
    "grpc_interceptor.exceptions",
    "grpc_interceptor.protocols",
    "grpc_interceptor.selection",
    "grpc_interceptor.client_errors",
    "grpc_interceptor.rich_status",
    "grpc_interceptor.testing",
    "grpc_interceptor.retry",
    "grpc_interceptor.deadline",
    "grpc_interceptor.auth",
    "grpc_interceptor.limits",
    "grpc_interceptor.access_log",
    "grpc_interceptor.metrics",
    "grpc_interceptor.validation",
]


def _public_modules() -> list[str]:
    """The public modules that exist (new modules join the list before they land)."""
    found = []
    for name in PUBLIC_MODULES:
        try:
            importlib.import_module(name)
        except ModuleNotFoundError as error:
            if error.name != name:
                raise
        else:
            found.append(name)
    return found


def _loaded_modules() -> list[ModuleType]:
    return [module for name, module in sorted(sys.modules.items()) if name.partition(".")[0] == "grpc_interceptor"]


def _doc_comment(name: str, obj: object) -> list[str] | None:
    """The ``#:`` comment of a module-level name, in whichever module of ours defines it.

    A type alias such as ``SpecialCase`` is a plain string at run time: autodoc would
    show the docstring of ``str`` for it, and a re-exported name has its comment in
    the module that defines it, not in the one that re-exports it.
    """
    short = name.rpartition(".")[2]
    for module in _loaded_modules():
        if getattr(module, short, None) is not obj:
            continue
        try:
            comments = ModuleAnalyzer.for_module(module.__name__).find_attr_docs()
        except Exception:  # a module without readable source
            continue
        if ("", short) in comments:
            return list(comments["", short])
    return None


def _fix_data_docstring(
    app: Sphinx, what: str, name: str, obj: object, options: dict[str, Any], lines: list[str]
) -> None:
    """Give a module-level name its ``#:`` comment, as written.

    Runs after napoleon, which reads the text before the first colon of a data
    docstring as a type, and in place of the docstring of the value's type that
    autodoc finds for a re-exported alias.
    """
    if what != "data":
        return
    comment = _doc_comment(name, obj)
    if comment is not None:
        lines[:] = comment


def _require_docstring(
    app: Sphinx, what: str, name: str, obj: object, options: dict[str, Any], lines: list[str]
) -> None:
    """Warn (so that ``-W`` fails) when autodoc documents an object without a docstring."""
    if what == "module" or any(line.strip() for line in lines):
        return
    logger.warning("%s %s has no docstring", what, name, type="grpc_interceptor", subtype="docstring")


def _warn_skipped_undocumented(app: Sphinx, what: str, name: str, obj: object, skip: bool, options: Any) -> None:
    """Warn when autodoc leaves out a public function, class or property for want of a docstring."""
    if not skip or name.startswith("_"):
        return None
    if not (inspect.isroutine(obj) or inspect.isclass(obj) or isinstance(obj, property)):
        return None
    if getattr(obj, "__module__", "").partition(".")[0] != "grpc_interceptor" and not isinstance(obj, property):
        return None
    if inspect.getdoc(obj):
        return None  # left out for another reason (private, excluded)
    logger.warning(
        "%s has no docstring, so the reference leaves it out", name, type="grpc_interceptor", subtype="docstring"
    )
    return None


def _require_public_names(app: Sphinx, env: BuildEnvironment) -> None:
    """Warn for each public name that the reference does not document."""
    documented = set(env.get_domain("py").objects)
    for module_name in _public_modules():
        module = importlib.import_module(module_name)
        for name in getattr(module, "__all__", ()):
            candidates = {f"{module_name}.{name}"}
            if name in grpc_interceptor.__all__ and getattr(grpc_interceptor, name) is getattr(module, name):
                candidates.add(f"grpc_interceptor.{name}")
            if not candidates & documented:
                logger.warning(
                    "%s.%s is public (in __all__) but not in the API reference",
                    module_name,
                    name,
                    type="grpc_interceptor",
                    subtype="coverage",
                )


def _import_name(dotted: str) -> tuple[bool, object]:
    module_name, _, attribute = dotted.rpartition(".")
    while module_name:
        try:
            value: object = importlib.import_module(module_name)
        except ImportError:
            module_name, _, head = module_name.rpartition(".")
            attribute = f"{head}.{attribute}"
            continue
        for part in attribute.split("."):
            if not hasattr(value, part):
                return False, None
            value = getattr(value, part)
        return True, value
    return False, None


def _resolve_by_identity(
    app: Sphinx, env: BuildEnvironment, node: Any, contnode: nodes.Element
) -> nodes.reference | None:
    """Resolve a reference to a name of ours documented under another import path.

    Docstrings refer to names as their own module sees them
    (``grpc_interceptor.testing.protos.dummy_pb2.DummyRequest``, ``:func:`select``` in
    ``grpc_interceptor.selection``), while the reference documents each object once,
    where users import it from (``grpc_interceptor.testing.DummyRequest``,
    ``grpc_interceptor.select``). A reference whose target is the very object of a
    documented name resolves to that name; any other stays unresolved, and fails
    the build.
    """
    if node.get("refdomain") != "py":
        return None
    target: str = node["reftarget"]
    module_name: str | None = node.get("py:module")
    attempts = [f"{module_name}.{target}"] if module_name else []
    attempts += [target] + [f"{public}.{target}" for public in _public_modules()]
    domain = env.get_domain("py")
    documented = domain.objects
    for attempt in attempts:
        if not attempt.startswith("grpc_interceptor"):
            continue
        found, obj = _import_name(attempt)
        if not found:
            continue
        for name in documented:
            if name.rpartition(".")[2] != attempt.rpartition(".")[2]:
                continue
            same, candidate = _import_name(name)
            if same and candidate is obj:
                # Linked directly: a role's object types (a "class" reference to a
                # documented type alias, say) need not match what the name is.
                entry = documented[name]
                return make_refnode(app.builder, node["refdoc"], entry.docname, entry.node_id, contnode, name)
    return None


def _qualify_foreign_bases(app: Sphinx, name: str, obj: object, options: Any, bases: list[object]) -> None:
    """Show grpc's base classes with their import path: ``grpc.aio.ServerInterceptor``, not ``ServerInterceptor``.

    The library's own private mixins (from a module whose name starts with ``_``) are left
    out: they are no part of the API.
    """
    bases[:] = [
        base for base in bases if not (isinstance(base, type) and base.__module__.startswith("grpc_interceptor._"))
    ]
    for index, base in enumerate(bases):
        module = getattr(base, "__module__", "")
        if not isinstance(base, type) or module.partition(".")[0] != "grpc":
            continue
        public = next(
            (path for path in ("grpc.aio", "grpc") if getattr(sys.modules.get(path), base.__name__, None) is base),
            module,
        )
        bases[index] = f"``{public}.{base.__qualname__}``"


def setup(app: Sphinx) -> dict[str, Any]:
    """Connect the checks."""
    app.connect("autodoc-process-docstring", _fix_data_docstring, priority=800)
    app.connect("autodoc-process-docstring", _require_docstring, priority=900)
    app.connect("autodoc-skip-member", _warn_skipped_undocumented)
    app.connect("env-check-consistency", _require_public_names)
    app.connect("missing-reference", _resolve_by_identity)
    app.connect("autodoc-process-bases", _qualify_foreign_bases)
    return {"parallel_read_safe": True}
