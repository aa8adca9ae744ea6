"""Opening a sealed PHI value for a GraphQL reader: the one gate every module's PHI fields
go through (a patient's demographics, an order's insurance subscriber)."""

from __future__ import annotations

import uuid
from typing import Any

from app.errors import PermissionDenied

READ_PHI = "patients.read_phi"


def open_phi(
    info: Any, patient_id: uuid.UUID | None, logged_as: str, sealed: bytes | None, *, row_id: str, column: str
) -> str | None:
    """The reader needs patients.read_phi; the read is recorded against `patient_id` (when
    given) as `logged_as`, for the request's PHI access log; `sealed` is opened with the
    row and column it was sealed for (null stays null)."""
    principal = info.context.current
    if principal is None or not principal.can(READ_PHI):
        raise PermissionDenied(f"Missing permission '{READ_PHI}'")
    if patient_id is not None:
        info.context.phi.record(patient_id, logged_as)
    return info.context.cipher.open(sealed, row_id=row_id, column=column)  # type: ignore[no-any-return]
