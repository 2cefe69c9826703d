"""The read side: one module per read model, registered here by one line each.

A read model's module defines ``TABLES``, a projection class (``process(w, batch)``,
``committed(position)``), its queries, and ``READ_MODEL = ReadModel(name, TABLES, Class)``;
``tables.py`` describes the interface. The runner (``runner.py``) and the rebuild
(``domain/application/rebuild.py``) drive every read model listed below.
"""

from projections import cases, compliance, eligibility, ladder
from projections.tables import ReadModel

READ_MODELS: list[ReadModel] = [
    eligibility.READ_MODEL,
    compliance.READ_MODEL,
    cases.READ_MODEL,
    ladder.READ_MODEL,
]
