"""akasa: daily customer and order drops into trustworthy business KPIs."""

import logging

__version__ = "0.1.0"

# A library's loggers stay silent unless someone configures logging (the CLI writes them to
# <data dir>/logs); without this, Python would print warnings and errors on stderr.
logging.getLogger(__name__).addHandler(logging.NullHandler())
