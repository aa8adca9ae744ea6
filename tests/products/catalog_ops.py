"""GraphQL operations and a small catalog builder the products tests share."""

from __future__ import annotations

import uuid
from typing import Any

from tests.support import Tenant

ERRORS = "errors { field code message }"
CREATE_MANUFACTURER = f"""mutation($input: ManufacturerInput!) {{ createManufacturer(input: $input) {{
  manufacturer {{ id name status settings {{ submissionMethod leadTimeDays }} }} {ERRORS} }} }}"""
UPDATE_SETTINGS = f"""mutation($id: ID!, $input: ManufacturerSettingsInput!) {{
  updateManufacturerSettings(manufacturerId: $id, input: $input) {{
  manufacturer {{ id settings {{ submissionMethod primaryContacts verificationRequired verificationType
    minimumOrderAmount leadTimeDays onboardingDocuments }} }} {ERRORS} }} }}"""
SET_CONTACTS = f"""mutation($id: ID!, $purpose: ContactPurpose!, $input: ContactListInput!) {{
  setManufacturerContacts(manufacturerId: $id, purpose: $purpose, input: $input) {{
  manufacturerContact {{ id purpose primaryRecipients notes }} {ERRORS} }} }}"""
CREATE_CATEGORY = f"""mutation($input: ProductCategoryInput!) {{ createProductCategory(input: $input) {{
  productCategory {{ id name parent {{ id }} }} {ERRORS} }} }}"""
UPDATE_CATEGORY = f"""mutation($id: ID!, $input: ProductCategoryInput!) {{
  updateProductCategory(id: $id, input: $input) {{ productCategory {{ id parent {{ id }} }} {ERRORS} }} }}"""
CREATE_SPECIALTY = f"""mutation($input: SpecialtyInput!) {{ createSpecialty(input: $input) {{
  specialty {{ id code }} {ERRORS} }} }}"""
LINK = f"""mutation($input: ProductSpecialtyInput!) {{ linkProductSpecialty(input: $input) {{
  productSpecialty {{ id isPrimary specialty {{ code }} }} {ERRORS} }} }}"""
CREATE_PRODUCT = f"""mutation($input: ProductInput!) {{ createProduct(input: $input) {{
  product {{ id name sku code codeType nationalAsp pricePerCm2 commissionRate isActive
    manufacturer {{ name }} category {{ name }}
    sizes {{ nodes {{ label widthCm lengthCm areaCm2 }} }} }} {ERRORS} }} }}"""
UPDATE_PRODUCT = f"""mutation($id: ID!, $input: ProductInput!) {{ updateProduct(id: $id, input: $input) {{
  product {{ id name code codeType isActive sizes {{ nodes {{ label areaCm2 }} }} }} {ERRORS} }} }}"""
DEACTIVATE_PRODUCT = f"""mutation($id: ID!) {{ deactivateProduct(id: $id) {{
  product {{ id isActive deactivatedAt }} {ERRORS} }} }}"""
SEARCH = """query($filter: ProductFilter, $order: ProductOrder, $first: Int, $after: String) {
  products(first: $first, after: $after, filter: $filter, orderBy: $order) {
    totalCount pageInfo { hasNextPage endCursor } nodes { id name sku code } } }"""
COUNTS = """{ manufacturers(filter: {includeDeactivated: true}) { totalCount }
  productCategories(filter: {includeDeactivated: true}) { totalCount }
  specialties(filter: {includeDeactivated: true}) { totalCount }
  products(filter: {includeDeactivated: true}) { totalCount } }"""


async def ok(tenant: Tenant, query: str, variables: dict[str, Any], role: str = "owner") -> dict[str, Any]:
    """Run a mutation and return its payload's entity, failing on any typed error."""
    data = await tenant.query(query, variables, role)
    (payload,) = data.values()
    assert payload["errors"] == [], payload["errors"]
    (entity,) = [v for k, v in payload.items() if k != "errors"]
    return entity  # type: ignore[no-any-return]


async def build_catalog(tenant: Tenant) -> dict[str, str]:
    """A manufacturer, a three-level category tree, a specialty and three products."""
    tag = uuid.uuid4().hex[:6]
    maker = await ok(
        tenant, CREATE_MANUFACTURER, {"input": {"name": f"Dermagen {tag}", "email": "o@derm.test"}}
    )
    wound = await ok(tenant, CREATE_CATEGORY, {"input": {"name": f"Wound care {tag}", "type": "WOUND_CARE"}})
    skin = await ok(tenant, CREATE_CATEGORY, {"input": {"name": "Skin substitutes", "parentId": wound["id"]}})
    grafts = await ok(tenant, CREATE_CATEGORY, {"input": {"name": "Amniotic", "parentId": skin["id"]}})
    specialty = await ok(tenant, CREATE_SPECIALTY, {"input": {"code": f"wound_{tag}", "name": "Wound care"}})
    graft = await ok(
        tenant,
        CREATE_PRODUCT,
        {
            "input": {
                "name": f"Amnion membrane allograft {tag}",
                "sku": f"AMN-{tag}",
                "manufacturerId": maker["id"],
                "categoryId": grafts["id"],
                "code": "Q4186",
                "codeType": "HCPCS",
                "description": "Dehydrated amniotic membrane for chronic wounds",
                "nationalAsp": "1234.50",
                "pricePerCm2": "77.1563",
                "requiresVerification": True,
                "sizes": [
                    {"label": "2x2 cm", "widthCm": "2", "lengthCm": "2"},
                    {"label": "disc", "areaCm2": "1.77"},
                ],
            }
        },
    )
    foam = await ok(
        tenant,
        CREATE_PRODUCT,
        {
            "input": {
                "name": f"Silicone foam dressing {tag}",
                "sku": f"FOAM-{tag}",
                "manufacturerId": maker["id"],
                "categoryId": wound["id"],
                "code": "A6209",
                "codeType": "HCPCS",
                "description": "Bordered foam with an amnion-free silicone layer",
                "nationalAsp": "8.25",
            }
        },
    )
    drug = await ok(
        tenant,
        CREATE_PRODUCT,
        {
            "input": {
                "name": "Mupirocin ointment 2%",
                "sku": f"MUP-{tag}",
                "code": "50090-1234-01",
                "codeType": "NDC",
                "type": "DRUG",
                "requiresPrescription": True,
            }
        },
    )
    await ok(
        tenant, LINK, {"input": {"productId": graft["id"], "specialtyId": specialty["id"], "isPrimary": True}}
    )
    return {
        "maker": maker["id"],
        "wound": wound["id"],
        "skin": skin["id"],
        "grafts": grafts["id"],
        "specialty": specialty["id"],
        "graft": graft["id"],
        "foam": foam["id"],
        "drug": drug["id"],
        "tag": tag,
    }
