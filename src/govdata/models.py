"""Imports every domain's tables so that metadata (and Alembic) sees the whole schema."""

from govdata.audit import models as audit_models
from govdata.catalog import models as catalog_models
from govdata.db import Base
from govdata.opendata import models as opendata_models
from govdata.org import models as org_models
from govdata.pool import models as pool_models
from govdata.quality import models as quality_models
from govdata.sharing import models as sharing_models
from govdata.supervision import models as supervision_models
from govdata.supervision import project_models as supervision_project_models
from govdata.supervision import report_models as supervision_report_models
from govdata.workdays import models as workdays_models

metadata = Base.metadata

__all__ = [
    "audit_models",
    "catalog_models",
    "metadata",
    "opendata_models",
    "org_models",
    "pool_models",
    "quality_models",
    "sharing_models",
    "supervision_models",
    "supervision_project_models",
    "supervision_report_models",
    "workdays_models",
]
