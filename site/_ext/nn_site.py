"""The course website's own Sphinx extension.

- ``read_notebook``: the MyST-NB reader for ``.ipynb``.  It renders the
  notebook as committed, with three clean-ups made in memory (the files are
  not touched): a cell whose source is folded in JupyterLab
  (``metadata.jupyter.source_hidden``) gets MyST-NB's ``hide-input`` tag, so
  the setup cell and reference solutions stay folded on the site too; widget
  views (``application/vnd.jupyter.widget-view+json``) and the notebook's
  widget state are dropped; a text fallback that is a progress bar frozen at
  0 % is dropped with them.  A folded cell's Colab form title
  (``# @title …``) becomes its label on the site.  Each ``$$…$$`` is put on
  one line, so a formula line starting with ``+`` is not read as a list.
- ``SectionSlugIds``: every ``#``/``##``/``###`` section gets a readable,
  deterministic primary id made from its heading (``#транслирование-
  broadcasting``), instead of docutils' ``id1``, ``id2``… (docutils drops
  non-ASCII letters).  Twin notebooks share their outline, so their ids
  match.
- In the header of each lesson (always in view): the switch to the twin
  track, which lands on the same section (``_templates/nn-track-switch.html``
  and ``_static/nn-site.js``).  Under the title: «Открыть в Colab» and
  «Скачать .ipynb», in place of the notebook's badge line, whose images would
  load from third-party hosts.
- «Назад»/«Далее» stay inside one track; the home page's «Далее» is lesson
  01 of the track the reader chose last (the script swaps it).
- MathJax 3 is copied from the ``sphinx-mathjax-offline`` wheel into
  ``_static/mathjax`` (only the parts the pages load), so math renders with
  no network.
"""

from __future__ import annotations

import html
import json
import posixpath
import re
import shutil
from pathlib import Path

import nbformat
from docutils import nodes
from sphinx import addnodes
from sphinx.application import Sphinx
from sphinx.transforms import SphinxTransform
from sphinx.transforms.post_transforms import SphinxPostTransform
from sphinx.util import logging

logger = logging.getLogger(__name__)

WIDGET_MIME = "application/vnd.jupyter.widget-view+json"
# tqdm's text fallback: "подпись:   0%|          | 0/10 [00:00<?, ?it/s]"
ZERO_PROGRESS = re.compile(r"(^|\s)0%\|")
LESSON = re.compile(r"^notebooks/(?P<key>\d\d_[a-z0-9_]+?)_(?P<track>[a-z]+)$")
# "# @title Подготовка окружения { display-mode: "form" }" on a cell's first line
COLAB_TITLE = re.compile(r"\s*#\s*@title\s+([^{\n]+?)\s*(?:\{.*)?$", re.M)
BADGE_HOSTS = ("colab.research.google.com/assets/", "img.shields.io/")


# ---------------------------------------------------------------- reading


def _text(value) -> str:
    return "".join(value) if isinstance(value, list) else str(value)


DISPLAY_MATH = re.compile(r"\$\$.+?\$\$", re.S)
FENCED_CODE = re.compile(r"(^(?:```|~~~).*?^(?:```|~~~)[^\n]*$)", re.S | re.M)


def one_line_display_math(source: str) -> str:
    """Put each ``$$…$$`` on one line.

    Jupyter and Colab protect math before parsing Markdown; MyST does not, so
    a formula line that starts with ``+ `` or ``- `` would become a list item
    and break the formula.  TeX reads a newline as a space, so joining the
    lines changes nothing else (a formula with a ``%`` comment is left as is).
    """
    def join(match: re.Match) -> str:
        if re.search(r"(?<!\\)%", match[0]):
            return match[0]
        return re.sub(r"[ \t]*\n[ \t]*", " ", match[0])

    parts = FENCED_CODE.split(source)
    for i in range(0, len(parts), 2):  # the even parts are outside code fences
        parts[i] = DISPLAY_MATH.sub(join, parts[i])
    return "".join(parts)


def clean_notebook(nb: nbformat.NotebookNode) -> nbformat.NotebookNode:
    """Fold hidden sources, drop widget views and 0 % progress bars."""
    nb.metadata.pop("widgets", None)
    for cell in nb.cells:
        meta = cell.setdefault("metadata", {})
        jupyter = meta.get("jupyter", {}) or {}
        tags = list(meta.get("tags", []) or [])
        if jupyter.get("source_hidden") and "hide-input" not in tags:
            tags.append("hide-input")
            title = COLAB_TITLE.match(_text(cell.get("source", "")))
            if title:  # the cell's Colab form title names it when folded
                mystnb = meta.setdefault("mystnb", {})
                mystnb.setdefault("code_prompt_show", f"{title[1]} (показать код)")
                mystnb.setdefault("code_prompt_hide", f"{title[1]} (скрыть код)")
        if jupyter.get("outputs_hidden") and "hide-output" not in tags:
            tags.append("hide-output")
        if tags:
            meta["tags"] = tags
        if cell.get("cell_type") == "markdown":
            cell["source"] = one_line_display_math(_text(cell.get("source", "")))
        if cell.get("cell_type") != "code":
            continue
        outputs = []
        for out in cell.get("outputs", []):
            data = out.get("data")
            if data is not None and WIDGET_MIME in data:
                del data[WIDGET_MIME]
                fallback = _text(data.get("text/plain", ""))
                if not data or (
                    set(data) == {"text/plain"} and ZERO_PROGRESS.search(fallback)
                ):
                    continue
            outputs.append(out)
        cell["outputs"] = outputs
    return nb


def read_notebook(text: str) -> nbformat.NotebookNode:
    """MyST-NB reader for .ipynb: the committed notebook, cleaned in memory."""
    return clean_notebook(nbformat.reads(text, as_version=4))


# ------------------------------------------------------------ section ids

_SLUG_CLEAN = re.compile(r"[^\w\- ]")


def slugify(title: str) -> str:
    """GitHub-style slug that keeps Cyrillic letters: 'Итоги' -> 'итоги'."""
    return _SLUG_CLEAN.sub("", title.strip().lower().replace(" ", "-"))


def _section_title(section: nodes.section) -> str:
    for child in section.children:
        if isinstance(child, nodes.title):
            return child.astext()
    return ""


def _section_level(section: nodes.section) -> int:
    level, parent = 1, section.parent
    while parent is not None:
        if isinstance(parent, nodes.section):
            level += 1
        parent = parent.parent
    return level


class SectionSlugIds(SphinxTransform):
    """Make a heading's slug the section's primary id (levels 1–3)."""

    default_priority = 710  # after every other id assignment (MyST's is 700)

    def apply(self, **kwargs) -> None:
        taken: set[str] = set()
        for section in list(self.document.findall(nodes.section)):
            if _section_level(section) > 3:
                continue
            base = slugify(_section_title(section))
            if not base:
                continue
            slug, n = base, 0
            while slug in taken or (
                slug in self.document.ids and self.document.ids[slug] is not section
            ):
                n += 1
                slug = f"{base}-{n}"
            taken.add(slug)
            ids = [i for i in section["ids"] if i != slug]
            section["ids"] = [slug] + ids
            self.document.ids[slug] = section


class RepositoryLinks(SphinxPostTransform):
    """A link to a repository file that is not a page (``STYLE.md``,
    ``requirements.txt``…) opens that file on GitHub."""

    default_priority = 8  # before MyST's reference resolver (9)

    def run(self, **kwargs) -> None:
        root = Path(self.config.nn_repo_root)
        for node in list(self.document.findall(addnodes.pending_xref)):
            if node.get("reftype") != "myst" or node.get("refdomain") == "doc":
                continue
            target = node.get("reftarget", "")
            if not target or target.startswith("#") or ":" in target:
                continue
            path, _, anchor = target.partition("#")
            folder = posixpath.dirname(node.get("refdoc", self.env.docname))
            relpath = posixpath.normpath(posixpath.join(folder, path))
            if relpath.startswith("..") or not (root / relpath).exists():
                continue
            url = self.config.nn_repo_blob_url + relpath
            ref = nodes.reference("", "", internal=False,
                                  refuri=url + (f"#{anchor}" if anchor else ""))
            ref += node.children or [nodes.literal(target, target)]
            node.replace_self(ref)


class RussianFoldLabels(SphinxPostTransform):
    """MyST-NB's «Show code cell source» and the like, in Russian."""

    default_priority = 200  # right after MyST-NB's HideInputCells (199)
    formats = ("html",)
    WORDS = {"source": "код", "output": "вывод", "outputs": "вывод",
             "content": "ячейку"}

    def run(self, **kwargs) -> None:
        for node in self.document.findall(nodes.Element):
            for key in ("prompt_show", "prompt_hide"):
                value = node.get(key)
                match = isinstance(value, str) and re.fullmatch(
                    r"(Показать|Скрыть) (source|outputs?|content)", value
                )
                if match:
                    node[key] = f"{match[1]} {self.WORDS[match[2]]}"


def collect_outline(app: Sphinx, doctree: nodes.document) -> None:
    """Store each page's sections (id, parent id) in reading order."""
    outline = []
    for section in doctree.findall(nodes.section):
        if _section_level(section) > 3 or not section["ids"]:
            continue
        parent = section.parent
        while parent is not None and not isinstance(parent, nodes.section):
            parent = parent.parent
        parent_id = parent["ids"][0] if parent is not None and parent["ids"] else ""
        outline.append([section["ids"][0], parent_id])
    if not hasattr(app.env, "nn_outlines"):
        app.env.nn_outlines = {}
    app.env.nn_outlines[app.env.docname] = outline


def purge_outline(app: Sphinx, env, docname: str) -> None:
    getattr(env, "nn_outlines", {}).pop(docname, None)


def merge_outline(app: Sphinx, env, docnames, other) -> None:
    if not hasattr(env, "nn_outlines"):
        env.nn_outlines = {}
    for docname in docnames:
        if docname in getattr(other, "nn_outlines", {}):
            env.nn_outlines[docname] = other.nn_outlines[docname]


# ------------------------------------------------------------ lesson pages


def lesson_of(docname: str):
    """('03_sgd', 'pytorch') for 'notebooks/03_sgd_pytorch', else None."""
    match = LESSON.match(docname)
    if not match or match["track"] not in _tracks:
        return None
    return match["key"], match["track"]


_tracks: dict[str, str] = {}


def _twin_track(track: str) -> str:
    others = [t for t in _tracks if t != track]
    return others[0] if others else track


def _is_badge_paragraph(node: nodes.Node) -> bool:
    """The notebook's badge line: only linked images from badge hosts."""
    if not isinstance(node, nodes.paragraph):
        return False
    images = list(node.findall(nodes.image))
    if not images:
        return False
    if not all(any(h in img.get("uri", "") for h in BADGE_HOSTS) for img in images):
        return False
    # nothing but the linked badges (and the spaces between them)
    return not any(text.strip() for text in node.findall(nodes.Text))


def _lesson_bar(app: Sphinx, docname: str) -> str:
    """«Открыть в Colab» and «Скачать .ipynb» under the lesson's title."""
    here = posixpath.dirname(docname)
    source = posixpath.relpath(f"_sources/{docname}.ipynb", here or ".")
    colab = app.config.nn_colab_url + f"{docname}.ipynb"
    return (
        '<nav class="nn-lesson-bar" aria-label="Файлы урока">'
        f'<a class="nn-button nn-colab" href="{html.escape(colab)}" '
        'target="_blank" rel="noopener">Открыть в Colab</a>'
        f'<a class="nn-button nn-download" href="{html.escape(source)}" '
        f'download="{posixpath.basename(docname)}.ipynb">Скачать .ipynb</a>'
        "</nav>"
    )


def track_switch_context(app: Sphinx, pagename, templatename, context, doctree):
    """Data for _templates/nn-track-switch.html (the header of a lesson)."""
    info = lesson_of(pagename)
    if info is None:
        context["nn_lesson"] = None
        return
    key, track = info
    twin_track = _twin_track(track)
    twin = f"notebooks/{key}_{twin_track}"
    outlines = getattr(app.env, "nn_outlines", {})
    data = {
        "track": track,
        "twinTrack": twin_track,
        "twinHref": context["pathto"](twin),
        "outline": outlines.get(pagename, []),
        "twinIds": [sid for sid, _ in outlines.get(twin, [])],
    }
    has_twin = twin in app.env.found_docs
    context["nn_lesson"] = {
        "json": json.dumps(data, ensure_ascii=False),
        "tracks": [
            {
                "name": name,
                "label": label,
                "current": name == track,
                "href": data["twinHref"] if has_twin else "",
            }
            for name, label in _tracks.items()
        ],
    }


def add_lesson_bar(app: Sphinx, doctree: nodes.document, docname: str) -> None:
    if app.builder.format != "html" or lesson_of(docname) is None:
        return
    bar = nodes.raw("", _lesson_bar(app, docname), format="html")
    section = next(iter(doctree.findall(nodes.section)), None)
    if section is None:
        doctree.insert(0, bar)
        return
    titles = [c for c in section.children if isinstance(c, nodes.title)]
    at = section.index(titles[0]) + 1 if titles else 0
    if at < len(section.children) and _is_badge_paragraph(section[at]):
        section[at].replace_self(bar)
    else:
        section.insert(at, bar)


def lesson_navigation(app: Sphinx, pagename, templatename, context, doctree):
    """«Назад»/«Далее» within one track; the home page's «Далее» → lesson 01."""
    lessons = sorted(
        d for d in app.env.found_docs if lesson_of(d) is not None
    )

    def link(docname):
        return {
            "link": context["pathto"](docname),
            "title": app.env.titles[docname].astext()
            if docname in app.env.titles
            else docname,
        }

    first_track = next(iter(_tracks), None)
    if pagename == app.config.root_doc:
        first = sorted(d for d in lessons if lesson_of(d)[1] == first_track)
        context["next"] = link(first[0]) if first else None
        return
    info = lesson_of(pagename)
    if info is None:
        return
    same = [d for d in lessons if lesson_of(d)[1] == info[1]]
    i = same.index(pagename)
    context["prev"] = link(same[i - 1]) if i > 0 else link(app.config.root_doc)
    context["next"] = link(same[i + 1]) if i + 1 < len(same) else None


# ---------------------------------------------------------------- MathJax

MATHJAX_PARTS = [
    "tex-chtml.js",
    "input/tex/extensions",
    "output/chtml/fonts/woff-v2",
    "ui",
    "a11y",
    "sre",
]


def mathjax_source() -> Path | None:
    import importlib.util

    spec = importlib.util.find_spec("sphinx-mathjax-offline")
    if spec is None or not spec.origin:
        return None
    return Path(spec.origin).parent / "static" / "mathjax"


def copy_mathjax(app: Sphinx, exc) -> None:
    if exc is not None or app.builder.format != "html":
        return
    src = mathjax_source()
    if src is None or not (src / "tex-chtml.js").exists():
        logger.warning(
            "MathJax не найден: поставьте пакет sphinx-mathjax-offline "
            "(requirements-site.txt), иначе формулы не отрисуются"
        )
        return
    dest = Path(app.outdir) / "_static" / "mathjax"
    for part in MATHJAX_PARTS:
        s, d = src / part, dest / part
        if s.is_dir():
            shutil.copytree(s, d, dirs_exist_ok=True)
        else:
            d.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(s, d)


# ------------------------------------------------------------------ setup


def _config_inited(app: Sphinx, config) -> None:
    _tracks.clear()
    _tracks.update(config.nn_tracks)


def setup(app: Sphinx):
    app.add_config_value("nn_colab_url", "", "html")
    app.add_config_value("nn_repo_blob_url", "", "html")
    app.add_config_value("nn_repo_root", "", "env")
    app.add_config_value(
        "nn_tracks", {"pytorch": "PyTorch", "tensorflow": "TensorFlow"}, "env"
    )
    app.connect("config-inited", _config_inited)
    app.add_transform(SectionSlugIds)
    app.add_post_transform(RussianFoldLabels)
    app.add_post_transform(RepositoryLinks)
    app.connect("doctree-read", collect_outline)
    app.connect("env-purge-doc", purge_outline)
    app.connect("env-merge-info", merge_outline)
    app.connect("doctree-resolved", add_lesson_bar)
    app.connect("html-page-context", track_switch_context)
    # after the theme's own handlers, which fill prev/next from the toctree
    app.connect("html-page-context", lesson_navigation, priority=900)
    app.connect("build-finished", copy_mathjax)
    return {
        "version": "1.0",
        "parallel_read_safe": True,
        "parallel_write_safe": True,
    }
