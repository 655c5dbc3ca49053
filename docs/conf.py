"""Sphinx configuration of the viann-sklearn documentation.

Build: ``sphinx-build -W --keep-going -b html docs docs/_build/html`` (warnings are errors).
"""

import os
import warnings

from sklearn.exceptions import ConvergenceWarning

from viann_sklearn import __version__

# The examples train with the defaults' max_iter; the warning that it was reached
# would fill every example's output (with paths of the build machine).
warnings.filterwarnings("ignore", category=ConvergenceWarning)

os.environ.setdefault("KERAS_BACKEND", "torch")

project = "viann-sklearn"
author = "viann-sklearn developers"
copyright = "2026, viann-sklearn developers"
release = version = __version__

extensions = [
    "sphinx.ext.autodoc",
    "sphinx.ext.autosummary",
    "numpydoc",
    "myst_parser",
    "sphinx_gallery.gen_gallery",
]
source_suffix = {".rst": "restructuredtext", ".md": "markdown"}
exclude_patterns = [
    "_build",
    "examples/README.txt",
    "auto_examples/*.ipynb",
    "auto_examples/*.py",
    "auto_examples/*.zip",
    "auto_examples/*.json",
    "auto_examples/*.md5",
]

# numpydoc: the estimators document their parameters and attributes; the
# methods have their own pages' worth of text, so no automatic member tables.
numpydoc_show_class_members = False
numpydoc_xref_param_type = False
autosummary_generate = True
templates_path = ["_templates"]
# Our pages show our methods; the docstrings of scikit-learn's and Keras's
# base classes refer to labels of their own sites.
autodoc_inherit_docstrings = False

myst_heading_anchors = 3

sphinx_gallery_conf = {
    "examples_dirs": "examples",
    "gallery_dirs": "auto_examples",
    "filename_pattern": r"plot_",
    "download_all_examples": False,
    "remove_config_comments": True,
    "matplotlib_animations": False,
    "image_scrapers": ("matplotlib",),
    "capture_repr": (),  # print() output only, not the repr of each block's last expression
}

html_theme = "pydata_sphinx_theme"
html_title = f"viann-sklearn {version}"
html_static_path = ["_static"]
html_css_files = ["custom.css"]
# Pages without sub-pages get no left sidebar: an empty "Section Navigation" column took a quarter
# of the width and squeezed the fidelity and benchmark tables.
html_sidebars = {
    page: []
    for page in (
        "index",
        "getting_started",
        "user_guide",
        "command_line",
        "report",
        "streaming",
        "trust",
        "fidelity",
        "benchmarks",
        "robustness",
    )
}
html_theme_options = {
    # Every page in the top bar: API, Robustness and Benchmarks hid under "More" at the default 5.
    "header_links_before_dropdown": 10,
    "navbar_end": ["navbar-icon-links"],
    "show_prev_next": False,
    "secondary_sidebar_items": ["page-toc"],
}
