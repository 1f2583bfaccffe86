"""Small Sphinx additions for the fsltheory book (``local_extensions`` in _config.yml).

* **Figure check.**  A code cell with ``mystnb: figure:`` metadata must produce a figure
  holding an image, and every image a cell produces must carry alt text
  (``mystnb: image: alt: ...``).  Otherwise a warning is emitted, which the strict build
  (``-W``) turns into a failure.  This catches a cell that silently draws nothing, e.g.
  when ``MPLBACKEND=Agg`` leaks into the kernel and the inline backend never shows the
  figure.
* **Duplicate scripts.**  With jupyter-book 1.0.4, sphinx-thebe registers its inline
  configuration script twice, so every page declares ``const THEBE_JS_URL`` twice and the
  browser throws a SyntaxError (caught by ``book/check_render.py``); duplicates are dropped.
"""

from __future__ import annotations

from docutils import nodes
from sphinx.util import logging

logger = logging.getLogger(__name__)


def _check_cell_figures(app, doctree) -> None:
    docname = app.env.docname
    for cell in doctree.findall(nodes.container):
        if cell.get("nb_element") != "cell_code":
            continue
        meta = (cell.get("cell_metadata") or {}).get("mystnb", {}) or {}
        images = list(cell.findall(nodes.image))
        where = f"{docname}: code cell {cell.get('cell_index')}"
        if meta.get("figure"):
            name = meta["figure"].get("name", "?")
            if not images or not list(cell.findall(nodes.figure)):
                logger.warning(
                    f"{where} (figure {name!r}) produced no image: the cell must draw a "
                    "figure (is the inline matplotlib backend active?)",
                    location=cell,
                )
        for img in images:
            if not str(img.get("alt", "")).strip():
                logger.warning(
                    f"{where} shows an image without alt text: add `mystnb: image: alt:`",
                    location=cell,
                )


def _script_key(script) -> tuple:
    # an inline script is registered once with filename None and once with '' (before and
    # after the builder exists), so compare a normalised filename plus the attributes
    attrs = getattr(script, "attributes", {}) or {}
    name = getattr(script, "filename", script) or ""
    return (str(name), tuple(sorted((k, str(v)) for k, v in attrs.items())))


def _dedupe_scripts(app, pagename, templatename, context, doctree) -> None:
    scripts = context.get("script_files")
    if not scripts:
        return
    seen, unique = set(), []
    for script in scripts:
        key = _script_key(script)
        if key not in seen:
            seen.add(key)
            unique.append(script)
    scripts[:] = unique


def setup(app):
    app.connect("doctree-read", _check_cell_figures)
    app.connect("html-page-context", _dedupe_scripts, priority=900)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
