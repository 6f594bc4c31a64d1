"""Sphinx configuration of the course website (`make site`).

The Makefile lays the sources out in a staging folder (_build/site-src:
index.md, README.md, notebooks/, images/) and builds it with `-c site`, so
every path below is relative to this folder (site/), and the notebooks are
rendered exactly as committed: nothing is executed.
"""

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent / "_ext"))

project = "nn-basics"
author = "авторы курса nn-basics"
copyright = "авторы курса nn-basics"
language = "ru"  # the interface and the search index (Russian stemming)

extensions = [
    "myst_nb",
    "nn_site",  # _ext/nn_site.py: twin switch, lesson buttons, clean outputs
]

root_doc = "index"
exclude_patterns = ["**/.ipynb_checkpoints"]
include_patterns = ["index.md", "notebooks/*.ipynb"]

# MyST / MyST-NB: render what is committed, never run a kernel
nb_execution_mode = "off"
nb_merge_streams = True
nb_ipywidgets_js = {}  # widget state is stripped; load no widget JS from a CDN
nb_custom_formats = {".ipynb": "nn_site.read_notebook"}  # see nn_site.py
myst_enable_extensions = ["dollarmath", "amsmath"]
myst_dmath_double_inline = True  # $$…$$ inside a paragraph, as Jupyter shows it
myst_heading_anchors = 3  # links like [текст](#заголовок) between sections
nb_code_prompt_show = "Показать {type}"  # nn_site.py: {type} in Russian
nb_code_prompt_hide = "Скрыть {type}"

# math: MathJax 3 from the sphinx-mathjax-offline wheel, copied into
# _static/mathjax by nn_site.py (no CDN: the site works offline)
mathjax_path = "mathjax/tex-chtml.js"

html_theme = "sphinx_book_theme"
html_title = "nn-basics: как на самом деле работают нейронные сети"
templates_path = ["_templates"]
html_static_path = ["_static"]
html_favicon = "_static/favicon.svg"
html_css_files = ["nn-site.css"]
html_js_files = ["nn-site.js"]
html_last_updated_fmt = None
html_context = {"default_mode": "light"}  # the plots are drawn on white
html_show_sphinx = False
html_copy_source = True  # _sources/notebooks/*.ipynb: the «Скачать .ipynb» button
html_sourcelink_suffix = ""
html_theme_options = {
    "repository_url": "https://github.com/nn-basics/nn-basics",
    "repository_branch": "main",
    "use_repository_button": True,
    "use_download_button": False,  # the lesson bar has «Скачать .ipynb»
    "home_page_in_toc": True,
    "show_navbar_depth": 1,
    "show_toc_level": 2,
    "navigation_with_keys": False,
    # the twin switch stays in view in the article header
    "article_header_end": ["nn-track-switch.html", "article-header-buttons.html"],
}

# nn_site settings
nn_colab_url = (
    "https://colab.research.google.com/github/nn-basics/nn-basics/blob/main/"
)
# links from README.md or a notebook to other repository files go to GitHub
nn_repo_blob_url = "https://github.com/nn-basics/nn-basics/blob/main/"
nn_repo_root = str(Path(__file__).resolve().parents[1])
nn_tracks = {"pytorch": "PyTorch", "tensorflow": "TensorFlow"}
